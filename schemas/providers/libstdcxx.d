/*
 * libstdc++ (GCC 12, Debian libstdc++6): the "libstdcxx" provider in libstdc++.so.6.
 *
 * Fired by the C++ runtime when an exception is thrown, rethrown or caught. The second argument
 * points to the exception's std::type_info, whose mangled type name is the char * at offset 8.
 * No semaphores: the probes are always armed.
 */
provider libstdcxx {
	probe throw(void *obj, void *tinfo);
	probe rethrow(void *obj, void *tinfo);
	probe catch(void *obj, void *tinfo);
};

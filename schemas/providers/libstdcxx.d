/*
 * libstdc++ (GCC 12, Debian libstdc++6): the "libstdcxx" provider in libstdc++.so.6.
 *
 * Fired by the C++ runtime when an exception is thrown, rethrown or caught. The second argument
 * points to the exception's std::type_info, whose mangled type name (what type_info::name()
 * returns, e.g. "St12out_of_range") is the char * at offset 8: the recorder follows that pointer
 * and records the name, and the analyzer shows it demangled ("std::out_of_range").
 * No semaphores: the probes are always armed.
 */
provider libstdcxx {
	probe throw(void *obj, void *tinfo);
	probe rethrow(void *obj, void *tinfo);
	probe catch(void *obj, void *tinfo);
};

#pragma tracetape string libstdcxx:* tinfo deref=@8 cxxname

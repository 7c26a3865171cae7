/*
 * OpenJDK 17 HotSpot (Debian openjdk-17-jre-headless, lib/server/libjvm.so): the "hotspot"
 * provider (42 probes) and the two probes of "hs_private". The JNI probes are in
 * hotspot_jni.d.
 *
 * Probe names and argument counts are the binary's own (`tracetape list` on it).
 *
 * N.B. No probe has a semaphore: a probe site runs only when the JVM was started with the flag
 * that enables it. Method probes (method__entry/return) need -XX:+DTraceMethodProbes, object
 * allocation -XX:+DTraceAllocProbes, monitor probes -XX:+DTraceMonitorProbes;
 * -XX:+ExtendedDTraceProbes enables all three. The other probes fire without a flag.
 * N.B. Strings from the JVM are not NUL-terminated: each comes with its length in the next
 * argument. The string pragmas below make tracetape read exactly that many bytes, and keep the
 * length argument as an integer. Class names use '/' separators (java/lang/String).
 *
 * Spans (`tracetape load` pairs these without any --span): gc (gc__begin to gc__end, one at a
 * time per JVM), thread__sleep (by thread: its begin and end carry different values, so the
 * X__begin/X__end convention's pairing by first argument would not match them), method
 * (method__entry/method__return, by thread as a stack; `report --by method` or `--by class`
 * groups them), vmops, mem__pool__gc, method__compile, vm__init and hs_private's safepoint
 * (X__begin/X__end by thread), thread__park (by thread and parker).
 */
provider hotspot {
	probe class__loaded(char *class, int class_len, void *loader, bool shared);
	probe class__unloaded(char *class, int class_len, void *loader, bool shared);
	probe class__initialization__required(char *class, int class_len, void *loader,
					      int thread_type);
	probe class__initialization__recursive(char *class, int class_len, void *loader,
					       int thread_type, bool wait);
	probe class__initialization__concurrent(char *class, int class_len, void *loader,
						int thread_type, bool wait);
	probe class__initialization__erroneous(char *class, int class_len, void *loader,
					       int thread_type, bool wait);
	probe class__initialization__super__failed(char *class, int class_len, void *loader,
						   int thread_type, bool wait);
	probe class__initialization__clinit(char *class, int class_len, void *loader,
					    int thread_type, bool wait);
	probe class__initialization__error(char *class, int class_len, void *loader,
					   int thread_type, bool wait);
	probe class__initialization__end(char *class, int class_len, void *loader, int thread_type,
					 bool wait);

	probe vm__init__begin();
	probe vm__init__end();
	probe vm__shutdown();
	probe vmops__request(char *name, uintptr_t name_len, int mode);
	probe vmops__begin(char *name, uintptr_t name_len, int mode);
	probe vmops__end(char *name, uintptr_t name_len, int mode);

	probe gc__begin(bool full);
	probe gc__end();
	/* A memory pool before and after a collection: its manager, its name, and its initial,
	 * used, committed and maximum sizes in bytes. */
	probe mem__pool__gc__begin(char *manager, uintptr_t manager_len, char *pool,
				   uintptr_t pool_len, uintptr_t initial, uintptr_t used,
				   uintptr_t committed, uintptr_t max);
	probe mem__pool__gc__end(char *manager, uintptr_t manager_len, char *pool,
				 uintptr_t pool_len, uintptr_t initial, uintptr_t used,
				 uintptr_t committed, uintptr_t max);

	probe thread__start(char *name, int name_len, long java_tid, uintptr_t native_tid,
			    bool daemon);
	probe thread__stop(char *name, int name_len, long java_tid, uintptr_t native_tid,
			   bool daemon);
	probe thread__sleep__begin(long millis);
	probe thread__sleep__end(int interrupted);
	probe thread__yield();
	probe thread__park__begin(uintptr_t parker, int absolute, long time);
	probe thread__park__end(uintptr_t parker);
	probe thread__unpark(uintptr_t parker);

	probe method__compile__begin(char *compiler, uintptr_t compiler_len, char *class,
				     int class_len, char *method, int method_len, char *signature,
				     int signature_len);
	probe method__compile__end(char *compiler, uintptr_t compiler_len, char *class,
				   int class_len, char *method, int method_len, char *signature,
				   int signature_len, bool success);
	probe compiled__method__load(char *class, int class_len, char *method, int method_len,
				     char *signature, int signature_len, void *code, int code_size);
	probe compiled__method__unload(char *class, int class_len, char *method, int method_len,
				       char *signature, int signature_len);

	probe monitor__contended__enter(long java_tid, uintptr_t monitor, char *class,
					int class_len);
	probe monitor__contended__entered(long java_tid, uintptr_t monitor, char *class,
					  int class_len);
	probe monitor__contended__exit(long java_tid, uintptr_t monitor, char *class,
				       int class_len);
	probe monitor__wait(long java_tid, uintptr_t monitor, char *class, int class_len,
			    long timeout);
	probe monitor__waited(long java_tid, uintptr_t monitor, char *class, int class_len);
	probe monitor__notify(long java_tid, uintptr_t monitor, char *class, int class_len);
	probe monitor__notifyAll(long java_tid, uintptr_t monitor, char *class, int class_len);

	probe object__alloc(long java_tid, char *class, int class_len, int size);

	probe method__entry(long java_tid, char *class, int class_len, char *method,
			    int method_len, char *signature, int signature_len);
	probe method__return(long java_tid, char *class, int class_len, char *method,
			     int method_len, char *signature, int signature_len);
};

provider hs_private {
	probe safepoint__begin();
	probe safepoint__end();
};

#pragma tracetape string hotspot:* class len=class_len
#pragma tracetape string hotspot:* method len=method_len
#pragma tracetape string hotspot:* signature len=signature_len
#pragma tracetape string hotspot:* name len=name_len
#pragma tracetape string hotspot:* manager len=manager_len
#pragma tracetape string hotspot:* pool len=pool_len
#pragma tracetape string hotspot:* compiler len=compiler_len

#pragma tracetape span gc start=hotspot:gc__begin end=hotspot:gc__end key=pid
#pragma tracetape span thread__sleep start=hotspot:thread__sleep__begin \
	end=hotspot:thread__sleep__end

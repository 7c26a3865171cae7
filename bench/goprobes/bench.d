/* The probe of bench/goprobes (and of bench/goprobes/cprobe.c: the same arguments in C). */
provider gpbench {
	probe query(int64_t id, char *sql);
};

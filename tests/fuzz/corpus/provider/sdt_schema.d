#define LocalTransactionId unsigned int
provider db {
	probe query__start(const char *query, LocalTransactionId xid);
	probe lock__wait(unsigned int, unsigned int field, int mode);
};

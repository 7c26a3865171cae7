/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of schemas/provider_file: the provider files that PostgreSQL, PHP and Python ship
 * (their shapes, reproduced here), type kinds, argument names, and errors with line and column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider_file.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

static struct tt_provider_file *parse_ok(const char *text)
{
	struct tt_provider_file *f = NULL;
	struct tt_provider_error e;
	int err = tt_provider_file__parse(text, strlen(text), "t.d", &f, &e);

	if (err)
		fail_msg("parse failed: %u:%u: %s", e.line, e.col, e.msg);
	return f;
}

TT_TEST(provider_file, postgresql_shape)
{
	static const char text[] =
		"/* ----------\n"
		" *\tpostgresql probes.d\n"
		" * ----------\n"
		" */\n"
		"\n"
		"#define LocalTransactionId unsigned int\n"
		"#define LWLockMode int\n"
		"#define \\\n"
		"   ForkNumber int\n"
		"\n"
		"provider postgresql {\n"
		"\tprobe transaction__start(LocalTransactionId);\n"
		"\tprobe query__start(const char *);\n"
		"\tprobe lwlock__acquire(const char *, LWLockMode);\n"
		"\tprobe lock__wait__start(unsigned int, unsigned int, unsigned int, unsigned int, unsigned int, LOCKMODE);\n"
		"\tprobe sort__done(bool, long);\n"
		"\tprobe buffer__sync__start(int, int);\n"
		"\tprobe checkpoint__start(int);\n"
		"};\n";
	struct tt_provider_file *f = parse_ok(text);
	const struct tt_provider_probe *p;

	assert_int_equal(f->provider_cnt, 1);
	assert_string_equal(f->providers[0].name, "postgresql");
	assert_int_equal(f->providers[0].line, 11);
	assert_int_equal(f->providers[0].probe_cnt, 7);

	p = tt_provider_file__find(f, "postgresql", "transaction__start");
	assert_non_null(p);
	assert_int_equal(p->line, 12);
	assert_int_equal(p->arg_cnt, 1);
	assert_string_equal(p->args[0].type, "LocalTransactionId");
	assert_null(p->args[0].name);
	assert_int_equal(p->args[0].kind, TT_KIND_NONE);

	p = tt_provider_file__find(f, "postgresql", "query__start");
	assert_string_equal(p->args[0].type, "const char *");
	assert_int_equal(p->args[0].kind, TT_KIND_STR);
	assert_null(p->args[0].name);

	p = tt_provider_file__find(f, "postgresql", "lock__wait__start");
	assert_int_equal(p->arg_cnt, 6);
	assert_string_equal(p->args[4].type, "unsigned int");
	assert_int_equal(p->args[4].kind, TT_KIND_U32);
	assert_null(p->args[4].name);
	assert_string_equal(p->args[5].type, "LOCKMODE");

	p = tt_provider_file__find(f, "postgresql", "sort__done");
	assert_int_equal(p->args[0].kind, TT_KIND_U8);
	assert_int_equal(p->args[1].kind, TT_KIND_S64);

	assert_null(tt_provider_file__find(f, "postgresql", "nope"));
	assert_null(tt_provider_file__find(f, "other", "query__start"));
	assert_null(tt_provider_file__find(NULL, "postgresql", "query__start"));
	tt_provider_file__free(f);
}

TT_TEST(provider_file, php_and_python_shapes)
{
	/* PHP puts the names in comments; Python ends with #pragma lines and has no names. */
	static const char text[] =
		"provider php {\n"
		"\tprobe request__startup(char* /* file */, char* /* request_uri */, char* /* request_method */);\n"
		"\tprobe execute__entry(char* /* request_file */, int /* lineno */);\n"
		"\tprobe exception__thrown(char* /* classname */);\n"
		"};\n"
		"\n"
		"provider python {\n"
		"    probe function__entry(const char *, const char *, int);\n"
		"    probe gc__done(long);\n"
		"    probe audit(const char *, void *);\n"
		"    probe import__find__load__done(const char *, int);\n"
		"};\n"
		"\n"
		"#pragma D attributes Evolving/Evolving/Common provider python provider\n"
		"#pragma D attributes Evolving/Evolving/Common provider python module\n";
	struct tt_provider_file *f = parse_ok(text);
	const struct tt_provider_probe *p;

	assert_int_equal(f->provider_cnt, 2);
	p = tt_provider_file__find(f, "php", "request__startup");
	assert_int_equal(p->arg_cnt, 3);
	assert_string_equal(p->args[0].type, "char *");
	assert_int_equal(p->args[0].kind, TT_KIND_STR);
	assert_null(p->args[0].name);
	p = tt_provider_file__find(f, "python", "audit");
	assert_int_equal(p->args[1].kind, TT_KIND_PTR);
	assert_string_equal(p->args[1].type, "void *");
	p = tt_provider_file__find(f, "python", "gc__done");
	assert_int_equal(p->args[0].kind, TT_KIND_S64);
	tt_provider_file__free(f);
}

TT_TEST(provider_file, names_and_types)
{
	static const char text[] =
		"provider myapp { // a C++ comment\n"
		"  probe request__start(const char *url, int id, struct req *r, unsigned long long n);\n"
		"  probe a(unsigned x, char **argv, const char *const s, uintptr_t p, enum color c);\n"
		"  probe b();\n"
		"  probe c(void);\n"
		"  probe d(struct req *, LocalTransactionId xid, volatile int v, const LWLockMode);\n"
		"} /* no ';' needed */\n";
	struct tt_provider_file *f = parse_ok(text);
	const struct tt_provider_probe *p;

	p = tt_provider_file__find(f, "myapp", "request__start");
	assert_int_equal(p->arg_cnt, 4);
	assert_string_equal(p->args[0].name, "url");
	assert_string_equal(p->args[0].type, "const char *");
	assert_int_equal(p->args[0].kind, TT_KIND_STR);
	assert_string_equal(p->args[1].name, "id");
	assert_int_equal(p->args[1].kind, TT_KIND_S32);
	assert_string_equal(p->args[2].name, "r");
	assert_string_equal(p->args[2].type, "struct req *");
	assert_int_equal(p->args[2].kind, TT_KIND_PTR);
	assert_string_equal(p->args[3].type, "unsigned long long");
	assert_int_equal(p->args[3].kind, TT_KIND_U64);

	p = tt_provider_file__find(f, "myapp", "a");
	assert_string_equal(p->args[0].name, "x");
	assert_string_equal(p->args[0].type, "unsigned");
	assert_int_equal(p->args[0].kind, TT_KIND_U32);
	assert_string_equal(p->args[1].type, "char **");
	assert_int_equal(p->args[1].kind, TT_KIND_PTR);
	assert_string_equal(p->args[2].type, "const char * const");
	assert_string_equal(p->args[2].name, "s");
	assert_int_equal(p->args[2].kind, TT_KIND_STR);
	assert_int_equal(p->args[3].kind, TT_KIND_U64);
	assert_string_equal(p->args[4].type, "enum color");
	assert_string_equal(p->args[4].name, "c");
	assert_int_equal(p->args[4].kind, TT_KIND_NONE);

	assert_int_equal(tt_provider_file__find(f, "myapp", "b")->arg_cnt, 0);
	assert_int_equal(tt_provider_file__find(f, "myapp", "c")->arg_cnt, 0);

	p = tt_provider_file__find(f, "myapp", "d");
	assert_null(p->args[0].name);
	assert_string_equal(p->args[1].name, "xid");
	assert_string_equal(p->args[1].type, "LocalTransactionId");
	assert_string_equal(p->args[2].name, "v");
	assert_int_equal(p->args[2].kind, TT_KIND_S32);
	assert_null(p->args[3].name);
	assert_string_equal(p->args[3].type, "const LWLockMode");
	tt_provider_file__free(f);
}

TT_TEST(provider_file, type_kinds)
{
	static const struct {
		const char *type;
		uint8_t kind;
	} cases[] = {
		{"char", TT_KIND_S8},           {"signed char", TT_KIND_S8},
		{"unsigned char", TT_KIND_U8},  {"short", TT_KIND_S16},
		{"short int", TT_KIND_S16},     {"unsigned short", TT_KIND_U16},
		{"int", TT_KIND_S32},           {"signed", TT_KIND_S32},
		{"unsigned int", TT_KIND_U32},  {"unsigned", TT_KIND_U32},
		{"long", TT_KIND_S64},          {"long int", TT_KIND_S64},
		{"unsigned long", TT_KIND_U64}, {"long unsigned int", TT_KIND_U64},
		{"long long", TT_KIND_S64},     {"unsigned long long", TT_KIND_U64},
		{"const int", TT_KIND_S32},     {"volatile unsigned char", TT_KIND_U8},
		{"bool", TT_KIND_U8},           {"_Bool", TT_KIND_U8},
		{"float", TT_KIND_F32},         {"double", TT_KIND_F64},
		{"int8_t", TT_KIND_S8},         {"uint16_t", TT_KIND_U16},
		{"int32_t", TT_KIND_S32},       {"uint64_t", TT_KIND_U64},
		{"uintptr_t", TT_KIND_U64},     {"size_t", TT_KIND_U64},
		{"pid_t", TT_KIND_S32},         {"char *", TT_KIND_STR},
		{"const char *", TT_KIND_STR},  {"char const *", TT_KIND_STR},
		{"char * const", TT_KIND_STR},  {"unsigned char *", TT_KIND_PTR},
		{"char **", TT_KIND_PTR},       {"void *", TT_KIND_PTR},
		{"struct req *", TT_KIND_PTR},  {"LocalTransactionId", TT_KIND_NONE},
		{"long double", TT_KIND_NONE},  {"struct req", TT_KIND_NONE},
		{"unsigned signed", TT_KIND_NONE}, {"long long long", TT_KIND_NONE},
		{"short long", TT_KIND_NONE},   {"char int", TT_KIND_NONE},
		{"", TT_KIND_NONE},             {"const", TT_KIND_NONE},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++)
		if (tt_provider_type_kind(cases[i].type) != cases[i].kind)
			fail_msg("'%s' -> 0x%02x, want 0x%02x", cases[i].type,
				 tt_provider_type_kind(cases[i].type), cases[i].kind);
}

TT_TEST(provider_file, errors_carry_line_and_column)
{
	static const struct {
		const char *text;
		unsigned line, col;
		const char *msg;
	} cases[] = {
		{"", 1, 1, "no provider declared"},
		{"/* only a comment */\n#pragma x\n", 3, 1, "no provider declared"},
		{"probe x();", 1, 1, "expected 'provider', got 'probe'"},
		{"provider {", 1, 10, "expected a provider name after 'provider', got '{'"},
		{"provider p\n  probe x();", 2, 3, "expected '{' after the provider name, got 'probe'"},
		{"provider p {\n  probe x()\n};", 3, 1, "expected ';' after the probe declaration, got '}'"},
		{"provider p {\n  probe x(int a,);\n};", 2, 17, "expected an argument after ','"},
		{"provider p {\n  probe x(,int);\n};", 2, 11, "expected an argument type before ','"},
		{"provider p {\n  probe x(int [4]);\n};", 2, 15, "unexpected character '['"},
		{"provider p {\n  probe x(int a;\n};", 2, 16,
		 "expected a type, a name, ',' or ')' in the argument list, got ';'"},
		{"provider p {\n  probe (int);\n};", 2, 9, "expected a probe name after 'probe', got '('"},
		{"provider p {\n  probe x();\n  probe x();\n};", 3, 9, "probe 'x' is already declared on line 2"},
		{"provider p { };\nprovider p { };", 2, 10, "provider 'p' is already declared on line 1"},
		{"provider p {\n  prob x();\n};", 2, 3, "expected 'probe' or '}' in provider 'p', got 'prob'"},
		{"provider p {\n  probe x(int);\n", 3, 1, "expected 'probe' or '}' in provider 'p', got end of file"},
		{"provider p {\n  /* never closed\n", 2, 3, "unterminated comment"},
		{"provider p {\n  probe x(* p);\n};", 2, 11, "expected an argument type before '*'"},
		{"provider p {\n  probe x(struct);\n};", 2, 11, "expected a tag name after 'struct'"},
		{"provider p {\n  probe x(1,2,3,4,5,6,7,8,9,10,11,12,13);\n};", 2, 11, "unexpected character '1'"},
		{"provider p {\n  probe x(int,int,int,int,int,int,int,int,int,int,int,int,int);\n};", 2, 59,
		 "probe 'x' has more than 12 arguments"},
		{"provider p {\n\tprobe x(int \x01);\n};", 2, 14, "unexpected byte 0x01"},
		{"provider p { probe x(int); } extra", 1, 30, "expected 'provider', got 'extra'"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_provider_file *f = (void *)1;
		struct tt_provider_error e;
		int err = tt_provider_file__parse(cases[i].text, strlen(cases[i].text), "t.d", &f, &e);

		if (err != -TT_E_PARSE)
			fail_msg("case %zu: accepted (err %d)", i, err);
		assert_null(f);
		if (e.line != cases[i].line || e.col != cases[i].col || strcmp(e.msg, cases[i].msg))
			fail_msg("case %zu: got %u:%u '%s', want %u:%u '%s'", i, e.line, e.col, e.msg,
				 cases[i].line, cases[i].col, cases[i].msg);
	}
}

TT_TEST(provider_file, text_need_not_be_terminated)
{
	static const char text[] = "provider p { probe x(int a); };XXXX";
	struct tt_provider_file *f = NULL;
	struct tt_provider_error e;

	assert_int_equal(tt_provider_file__parse(text, strlen(text) - 4, NULL, &f, &e), 0);
	assert_string_equal(f->path, "");
	assert_string_equal(tt_provider_file__find(f, "p", "x")->args[0].name, "a");
	tt_provider_file__free(f);
	tt_provider_file__free(NULL);
}

TT_TEST(provider_file, load_from_disk)
{
	char path[] = "/tmp/tt_provider_test_XXXXXX";
	struct tt_provider_file *f = NULL;
	struct tt_provider_error e;
	int fd = mkstemp(path);
	static const char text[] = "provider p {\n  probe x(long n);\n};\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(tt_provider_file__load(path, &f, &e), 0);
	assert_string_equal(f->path, path);
	assert_int_equal(tt_provider_file__find(f, "p", "x")->args[0].kind, TT_KIND_S64);
	tt_provider_file__free(f);
	unlink(path);

	assert_int_equal(tt_provider_file__load("/nonexistent/p.d", &f, &e), -ENOENT);
	assert_null(f);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.msg, strerror(ENOENT));
}

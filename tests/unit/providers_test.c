/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the provider-file extensions for software we do not own: `#pragma tracetape`
 * lines (string, span, instant) and their errors, the built-in provider files compiled into the
 * binary, the counted-string argument specs they lead to (attach.c), the shipped span rules in
 * the span builder (alternatives, key=pid, precedence of the user's rules, instants), and the
 * presets of `record --preset`.
 */
#include <asm/ptrace.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "builtin_providers.h"
#include "presets.h"
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

static const char jvm_like[] =
	"provider hotspot {\n"
	"\tprobe method__entry(long tid, char *class, int class_len, char *method, int method_len);\n"
	"\tprobe gc__begin(bool full);\n"
	"\tprobe gc__end();\n"
	"\tprobe thread__start(char *name, uintptr_t name_len, long tid);\n"
	"};\n"
	"#pragma D attributes Standard/Standard/Common provider hotspot provider\n"
	"#pragma tracetape string hotspot:* class len=class_len\n"
	"#pragma tracetape string method__entry method \\\n"
	"\tlen=method_len\n"
	"#pragma tracetape string thread__start name len=arg1 // a comment ends it\n"
	"#pragma tracetape span gc start=gc__begin end=gc__end key=pid\n";

TT_TEST(providers, string_pragma_with_length_argument)
{
	struct tt_provider_file *f = parse_ok(jvm_like);
	const struct tt_provider_probe *p = tt_provider_file__find(f, "hotspot", "method__entry");

	assert_non_null(p);
	assert_int_equal(p->args[1].kind, TT_KIND_BYTES);
	assert_int_equal(p->args[1].str.form, TT_PROVIDER_STR_LEN_ARG);
	assert_int_equal(p->args[1].str.len_arg, 2);
	assert_int_equal(p->args[2].kind, TT_KIND_S32); /* the length stays an integer */
	assert_int_equal(p->args[2].str.form, 0);
	assert_int_equal(p->args[3].kind, TT_KIND_BYTES);
	assert_int_equal(p->args[3].str.len_arg, 4);
	assert_int_equal(p->args[0].kind, TT_KIND_S64);
	p = tt_provider_file__find(f, "hotspot", "thread__start");
	assert_int_equal(p->args[0].kind, TT_KIND_BYTES);
	assert_int_equal(p->args[0].str.len_arg, 1);
	/* the glob skipped probes without a class argument */
	p = tt_provider_file__find(f, "hotspot", "gc__begin");
	assert_int_equal(p->args[0].str.form, 0);
	assert_int_equal(p->args[0].kind, TT_KIND_U8);
	assert_int_equal(f->span_cnt, 1);
	assert_string_equal(f->spans[0].name, "gc");
	assert_string_equal(f->spans[0].provider, "hotspot");
	assert_string_equal(f->spans[0].start, "hotspot:gc__begin");
	assert_string_equal(f->spans[0].end, "hotspot:gc__end");
	assert_string_equal(f->spans[0].key, "pid");
	assert_int_equal(f->spans[0].line, 12);
	tt_provider_file__free(f);
}

TT_TEST(providers, string_pragma_inside_object_and_spans)
{
	static const char text[] =
		"provider php {\n"
		"\tprobe exception__caught(void *classname);\n"
		"\tprobe request__startup(char *file, char *uri, char *method);\n"
		"\tprobe request__shutdown(char *file, char *uri, char *method);\n"
		"\tprobe request__abort(char *file);\n"
		"};\n"
		"#pragma tracetape string php:exception__caught classname len=@16:4 data=@24\n"
		"#pragma tracetape span request start=request__startup "
		"end=request__shutdown|php:request__abort\n"
		"#pragma tracetape span by_file start=request__startup end=request__shutdown key=file\n"
		"#pragma tracetape instant exception__*\n";
	struct tt_provider_file *f = parse_ok(text);
	const struct tt_provider_probe *p = tt_provider_file__find(f, "php", "exception__caught");

	assert_int_equal(p->args[0].kind, TT_KIND_BYTES);
	assert_int_equal(p->args[0].str.form, TT_PROVIDER_STR_IN_OBJ);
	assert_int_equal(p->args[0].str.len_off, 16);
	assert_int_equal(p->args[0].str.len_size, 4);
	assert_int_equal(p->args[0].str.data_off, 24);
	assert_int_equal(f->span_cnt, 2);
	assert_string_equal(f->spans[0].end, "php:request__shutdown|php:request__abort");
	assert_null(f->spans[0].key);
	assert_string_equal(f->spans[1].key, "file");
	assert_int_equal(f->instant_cnt, 1);
	assert_string_equal(f->instants[0], "php:exception__*");
	tt_provider_file__free(f);
}

TT_TEST(providers, pragma_errors_carry_line_and_column)
{
	static const char head[] = "provider p {\n"
				   "\tprobe a(char *s, int n, double d);\n"
				   "\tprobe b__start(int id);\n"
				   "\tprobe b__done(int id);\n"
				   "};\n";
	static const struct {
		const char *pragma;
		unsigned col;
		const char *msg;
	} cases[] = {
		{"#pragma tracetape", 18, "expected 'string', 'span' or 'instant'"},
		{"#pragma tracetape strings a s len=n", 19, "unknown tracetape pragma 'strings'"},
		{"#pragma tracetape string a s", 19, "expected 'string PROBES ARG len=LENARG'"},
		{"#pragma tracetape string a s n", 30, "expected len=LENARG, len=@OFF[:SIZE] or deref="},
		{"#pragma tracetape string a s len=", 30, "expected len=LENARG, len=@OFF[:SIZE] or deref"},
		{"#pragma tracetape string a s deref=8", 30, "expected deref=@OFFSET or deref=@OFFSET@OFFSET"},
		{"#pragma tracetape string a s deref=@8@", 30, "expected deref=@OFFSET or deref="},
		{"#pragma tracetape string a s deref=@8@4096", 30, "expected deref=@OFFSET or deref="},
		{"#pragma tracetape string a s deref=@8 mangled", 39, "expected 'cxxname'"},
		{"#pragma tracetape string a n deref=@8", 28, "argument 'n' of p:a is not a pointer"},
		{"#pragma tracetape string a n len=s", 28, "argument 'n' of p:a is not a pointer"},
		{"#pragma tracetape string a s len=d", 30, "argument 'd' of p:a is not an integer"},
		{"#pragma tracetape string a s len=zz", 26, "no probe matching 'a' has an argument 's' and "
							"an argument zz"},
		{"#pragma tracetape string a s len=@x data=@0", 30, "expected len=@OFFSET"},
		{"#pragma tracetape string a s len=@8:3 data=@0", 30, "expected len=@OFFSET"},
		{"#pragma tracetape string a s len=@8", 30, "expected data=@OFFSET"},
		{"#pragma tracetape string a s len=n extra", 36, "nothing may follow len=LENARG"},
		{"#pragma tracetape span 9x start=b__start end=b__done", 24, "expected a span name"},
		{"#pragma tracetape span x start=b__start key=pid", 19, "a span needs start=PROBES and end=PROBES"},
		{"#pragma tracetape span x start=b__start end=b__end", 41, "no probe of this file matches "
									   "'p:b__end'"},
		{"#pragma tracetape span x start=b__start end=b__done end=a", 53, "'end=a' given twice"},
		{"#pragma tracetape span x start=b__start end=b__done|| ", 41, "expected probe patterns"},
		{"#pragma tracetape span x start=b__start end=b__done key=nope", 53,
		 "probe p:b__start has no argument 'nope'"},
		{"#pragma tracetape span x start=b__start end=b__done foo=1", 53, "expected start=PROBES"},
		{"#pragma tracetape instant", 19, "expected 'instant PROBES'"},
		{"#pragma tracetape instant zz", 27, "no probe of this file matches 'p:zz'"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_provider_file *f = NULL;
		struct tt_provider_error e;
		char text[512];
		int n = snprintf(text, sizeof(text), "%s%s\n", head, cases[i].pragma);

		assert_int_equal(tt_provider_file__parse(text, (size_t)n, "t.d", &f, &e), -TT_E_PARSE);
		assert_null(f);
		if (e.line != 6 || e.col != cases[i].col || !strstr(e.msg, cases[i].msg))
			fail_msg("case %zu '%s': got %u:%u: %s", i, cases[i].pragma, e.line, e.col, e.msg);
	}
}

TT_TEST(providers, pragma_errors_in_several_providers)
{
	static const char text[] = "provider a { probe x__start(); probe x__done(); };\n"
				   "provider b { probe y(); };\n"
				   "#pragma tracetape span s start=x__start end=a:x__done\n"
				   "#pragma tracetape span s start=a:x__start end=a:x__done\n";
	struct tt_provider_file *f = NULL;
	struct tt_provider_error e;

	assert_int_equal(tt_provider_file__parse(text, strlen(text), "t.d", &f, &e), -TT_E_PARSE);
	assert_int_equal(e.line, 3);
	assert_int_equal(e.col, 26);
	assert_non_null(strstr(e.msg, "'x__start': name its provider"));
}

TT_TEST(providers, builtin_files_parse_and_describe_the_runtimes)
{
	const struct tt_builtin_provider *files;
	const struct tt_provider_probe *p;
	struct tt_provider_error e = {0};
	const char *file = NULL, *text;
	size_t cnt, len;

	assert_int_equal(tt_builtin_providers(&files, &cnt, &e), 0);
	assert_int_equal(cnt, 6);
	assert_string_equal(files[0].name, "hotspot.d");
	assert_string_equal(files[5].name, "python.d");

	p = tt_builtin_provider_find("postgresql", "query__start", &file);
	assert_non_null(p);
	assert_string_equal(file, "postgresql.d");
	assert_int_equal(p->arg_cnt, 1);
	assert_string_equal(p->args[0].name, "query");
	assert_int_equal(p->args[0].kind, TT_KIND_STR);
	p = tt_builtin_provider_find("postgresql", "lock__wait__start", NULL);
	assert_int_equal(p->arg_cnt, 6);

	p = tt_builtin_provider_find("hotspot", "method__entry", &file);
	assert_string_equal(file, "hotspot.d");
	assert_int_equal(p->arg_cnt, 7);
	for (unsigned i = 1; i < 7; i += 2) {
		assert_int_equal(p->args[i].kind, TT_KIND_BYTES);
		assert_int_equal(p->args[i].str.form, TT_PROVIDER_STR_LEN_ARG);
		assert_int_equal(p->args[i].str.len_arg, i + 1);
	}
	assert_non_null(tt_builtin_provider_find("hs_private", "safepoint__begin", NULL));
	p = tt_builtin_provider_find("hotspot_jni", "GetStringUTFChars__return", &file);
	assert_string_equal(file, "hotspot_jni.d");
	assert_int_equal(p->args[0].kind, TT_KIND_STR);
	assert_int_equal(tt_builtin_provider_find("hotspot_jni", "CallDoubleMethod__return", NULL)->arg_cnt, 0);

	p = tt_builtin_provider_find("php", "exception__caught", NULL);
	assert_int_equal(p->args[0].str.form, TT_PROVIDER_STR_IN_OBJ);
	assert_int_equal(p->args[0].str.len_off, 16);
	assert_int_equal(p->args[0].str.len_size, 8);
	assert_int_equal(p->args[0].str.data_off, 24);
	assert_string_equal(tt_builtin_provider_find("python", "function__return", NULL)->args[1].name,
			    "funcname");
	assert_int_equal(tt_builtin_provider_find("libstdcxx", "throw", NULL)->arg_cnt, 2);
	assert_null(tt_builtin_provider_find("postgresql", "no__such", NULL));
	assert_null(tt_builtin_provider_find("myapp", "query__start", NULL));

	text = tt_builtin_provider_text("php.d", &len);
	assert_non_null(text);
	assert_true(len > 100 && !memcmp(text, "/*", 2) && text[len - 1] == '\n');
	assert_null(tt_builtin_provider_text("nope.d", &len));
}

TT_TEST(providers, probe_pattern_match)
{
	assert_true(tt_probe_pattern_match("query__start", "postgresql", "query__start"));
	assert_true(tt_probe_pattern_match("postgresql:query__*", "postgresql", "query__done"));
	assert_false(tt_probe_pattern_match("mysql:query__*", "postgresql", "query__done"));
	assert_true(tt_probe_pattern_match("a:x|postgresql:query__done", "postgresql", "query__done"));
	assert_false(tt_probe_pattern_match("a:x|b:y", "postgresql", "query__done"));
	assert_false(tt_probe_pattern_match("", "p", "n"));
}

/* ---- counted strings in BPF argument specs ---- */

static void site_from(const char *args, uint64_t pc, struct tt_usdt_site *site)
{
	char err[256];

	memset(site, 0, sizeof(*site));
	site->pc_vaddr = pc;
	assert_int_equal(tt_usdt_parse_args(args, site->args, &site->argc, err, sizeof(err)), 0);
	for (unsigned i = 0; i < site->argc; i++)
		site->kinds[i] = tt_usdt_arg_kind(&site->args[i]);
}

TT_TEST(providers, bytes_specs_from_length_arguments)
{
	/* hotspot:method__entry and thread__start as the JVM's notes say */
	uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_S64, TT_KIND_BYTES, TT_KIND_S32, TT_KIND_BYTES,
				      TT_KIND_S32, TT_KIND_BYTES, TT_KIND_S32};
	struct tt_provider_str by_reg = {.form = TT_PROVIDER_STR_LEN_ARG, .len_arg = 2};
	struct tt_provider_str by_mem = {.form = TT_PROVIDER_STR_LEN_ARG, .len_arg = 4};
	struct tt_provider_str by_const = {.form = TT_PROVIDER_STR_LEN_ARG, .len_arg = 6};
	struct tt_usdt_site site;
	struct tt_bpf_site b;
	const char *why = NULL;

	site_from("-8@%rax 8@%rdx -4@%ecx 8@%rsi -4@-60(%rbp) 8@%r8 -4@$7", 0x1000, &site);
	assert_int_equal(tt_bpf_site_from_usdt(&site, 3, kinds, &b, &why), 0);
	assert_int_equal(b.flags, 0); /* BYTES kinds are plain values until their layout is set */
	assert_int_equal(tt_bpf_site_set_bytes(&site, 1, &by_reg, &b, &why), 0);
	assert_int_equal(tt_bpf_site_set_bytes(&site, 3, &by_mem, &b, &why), 0);
	assert_int_equal(tt_bpf_site_set_bytes(&site, 5, &by_const, &b, &why), 0);
	assert_int_equal(b.flags, TT_BPF_SITE_STRS);

	assert_int_equal(b.args[1].flags, TT_BPF_ARG_BYTES);
	assert_int_equal(b.args[1].loc, TT_BPF_LOC_REG);
	assert_int_equal(b.args[1].base_off, offsetof(struct pt_regs, rdx));
	assert_int_equal(b.args[1].len_loc, TT_BPF_LOC_REG);
	assert_int_equal(b.args[1].len_off, offsetof(struct pt_regs, rcx));
	assert_int_equal(b.args[1].len_size, 4);

	assert_int_equal(b.args[3].len_loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[3].len_off, offsetof(struct pt_regs, rbp));
	assert_int_equal(b.args[3].len_disp, -60);
	assert_int_equal(b.args[3].len_size, 4);

	assert_int_equal(b.args[5].len_loc, TT_BPF_LOC_CONST);
	assert_int_equal(b.args[5].len_disp, 7);

	/* the length arguments are still read as integers */
	assert_int_equal(b.args[2].flags, TT_BPF_ARG_SIGNED);
	assert_int_equal(b.args[2].loc, TT_BPF_LOC_REG);
	assert_int_equal(b.args[4].loc, TT_BPF_LOC_MEM);
}

TT_TEST(providers, bytes_specs_inside_objects_and_refusals)
{
	uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_BYTES, TT_KIND_S32, TT_KIND_BYTES, TT_KIND_S32};
	struct tt_provider_str obj = {.form = TT_PROVIDER_STR_IN_OBJ, .len_size = 8, .len_off = 16,
				      .data_off = 24};
	struct tt_provider_str idx = {.form = TT_PROVIDER_STR_LEN_ARG, .len_arg = 1};
	struct tt_provider_str rip = {.form = TT_PROVIDER_STR_LEN_ARG, .len_arg = 3};
	struct tt_usdt_site site;
	struct tt_bpf_site b;
	const char *why = NULL;

	/* php:exception__caught: 8@8(%rax), a zend_string * */
	site_from("8@8(%rax) -4@4(%rax,%rbx,4) 8@%rdi -4@16(%rip)", 0x2000, &site);
	assert_int_equal(tt_bpf_site_from_usdt(&site, 1, kinds, &b, &why), 0);
	assert_int_equal(tt_bpf_site_set_bytes(&site, 0, &obj, &b, &why), 0);
	assert_int_equal(b.args[0].loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[0].disp, 8);
	assert_int_equal(b.args[0].flags, TT_BPF_ARG_BASE | TT_BPF_ARG_BYTES);
	assert_int_equal(b.args[0].len_loc, TT_BPF_LOC_OBJ);
	assert_int_equal(b.args[0].len_disp, 16);
	assert_int_equal(b.args[0].len_size, 8);
	assert_int_equal(b.args[0].len_off, 24);

	assert_int_equal(tt_bpf_site_set_bytes(&site, 2, &idx, &b, &why), -TT_E_BAD_SPEC);
	assert_non_null(strstr(why, "register plus a displacement"));
	/* disp(%rip) counts from the next instruction: one byte past the nop at the site */
	assert_int_equal(tt_bpf_site_set_bytes(&site, 2, &rip, &b, &why), 0);
	assert_int_equal(b.args[2].len_loc, TT_BPF_LOC_MEM);
	assert_int_equal(b.args[2].len_off, offsetof(struct pt_regs, rip));
	assert_int_equal(b.args[2].len_disp, 17);
	rip.len_arg = 9;
	assert_int_equal(tt_bpf_site_set_bytes(&site, 2, &rip, &b, &why), -TT_E_BAD_SPEC);
	assert_int_equal(tt_bpf_site_set_bytes(&site, 7, &obj, &b, &why), -TT_E_BAD_SPEC);
}

TT_TEST(providers, strings_behind_pointers)
{
	static const char text[] =
		"provider cxx {\n"
		"\tprobe throw(void *obj, void *tinfo);\n"
		"\tprobe named(int id, struct thing *t);\n"
		"};\n"
		"#pragma tracetape string throw tinfo deref=@8 cxxname\n"
		"#pragma tracetape string named t deref=@16@0\n";
	struct tt_provider_file *f = parse_ok(text);
	const struct tt_provider_probe *p = tt_provider_file__find(f, "cxx", "throw");
	uint8_t kinds[TT_MAX_ARGS] = {TT_KIND_PTR, TT_KIND_CXXNAME};
	struct tt_usdt_site site;
	struct tt_bpf_site b;
	const char *why = NULL;

	assert_non_null(p);
	assert_int_equal(p->args[0].kind, TT_KIND_PTR);
	assert_int_equal(p->args[1].kind, TT_KIND_CXXNAME);
	assert_int_equal(p->args[1].str.form, TT_PROVIDER_STR_DEREF);
	assert_int_equal(p->args[1].str.deref_cnt, 1);
	assert_int_equal(p->args[1].str.deref_off[0], 8);

	/* libstdc++'s throw site: 8@%rbx 8@%rbp; the name pointer is *(tinfo + 8). */
	site_from("8@%rbx 8@%rbp", 0x1000, &site);
	assert_int_equal(tt_bpf_site_from_usdt(&site, 2, kinds, &b, &why), 0);
	assert_int_equal(tt_bpf_site_set_bytes(&site, 1, &p->args[1].str, &b, &why), 0);
	assert_int_equal(b.flags, TT_BPF_SITE_STRS);
	assert_int_equal(b.args[0].flags, 0);
	assert_int_equal(b.args[1].loc, TT_BPF_LOC_REG);
	assert_int_equal(b.args[1].base_off, offsetof(struct pt_regs, rbp));
	assert_int_equal(b.args[1].flags, TT_BPF_ARG_STR | TT_BPF_ARG_DEREF1);
	assert_int_equal(b.args[1].deref_off[0], 8);

	p = tt_provider_file__find(f, "cxx", "named");
	assert_int_equal(p->args[1].kind, TT_KIND_STR);
	assert_int_equal(p->args[1].str.deref_cnt, 2);
	assert_int_equal(p->args[1].str.deref_off[0], 16);
	assert_int_equal(p->args[1].str.deref_off[1], 0);
	kinds[0] = TT_KIND_S32;
	kinds[1] = TT_KIND_STR;
	assert_int_equal(tt_bpf_site_from_usdt(&site, 3, kinds, &b, &why), 0);
	assert_int_equal(tt_bpf_site_set_bytes(&site, 1, &p->args[1].str, &b, &why), 0);
	assert_int_equal(b.args[1].flags, TT_BPF_ARG_STR | TT_BPF_ARG_DEREF1 | TT_BPF_ARG_DEREF2);
	assert_int_equal(b.args[1].deref_off[1], 0);
	tt_usdt_args_free(site.args, site.argc);
	tt_provider_file__free(f);
}

/* ---- presets ---- */

TT_TEST(providers, presets_expand_to_specs)
{
	const struct tt_preset *p = tt_preset_find("php-calls");
	char **specs = NULL;
	size_t cnt = 0, all;

	assert_non_null(p);
	assert_string_equal(p->env[0], "USE_ZEND_DTRACE=1");
	assert_null(tt_preset_find("php"));
	/* with a command: the command's own binaries */
	assert_int_equal(tt_preset_expand(p, NULL, 1, &specs, &cnt), 0);
	assert_int_equal(cnt, 4);
	assert_string_equal(specs[0], "usdt:php:function__entry");
	/* with a PATH: that binary */
	assert_int_equal(tt_preset_expand(p, "/opt/php/bin/php", 0, &specs, &cnt), 0);
	assert_int_equal(cnt, 8);
	assert_string_equal(specs[4], "usdt:/opt/php/bin/php:php:function__entry");
	/* a dlopen'd library is always named by its path */
	p = tt_preset_find("jvm-gc");
	assert_true(p->path_only);
	assert_int_equal(tt_preset_expand(p, "/jdk/libjvm.so", 1, &specs, &cnt), 0);
	assert_string_equal(specs[8], "usdt:/jdk/libjvm.so:hotspot:gc__begin");
	all = cnt;
	/* nothing names a binary, and the default path is not there */
	{
		struct tt_preset missing = *p;

		missing.path = "/nonexistent/libjvm.so";
		assert_int_equal(tt_preset_expand(&missing, NULL, 1, &specs, &cnt), -ENOENT);
		assert_int_equal(cnt, all);
	}
	assert_int_equal(tt_preset_find("postgres-queries")->strlen, 1024);
	for (size_t i = 0; i < cnt; i++)
		free(specs[i]);
	free(specs);
	{
		size_t n;
		const struct tt_preset *all_p = tt_presets(&n);

		assert_int_equal(n, 6);
		for (size_t i = 1; i < n; i++)
			assert_true(strcmp(all_p[i - 1].name, all_p[i].name) < 0);
	}
	{
		/* php-app: the extension is dlopen'd, so a path even with -- COMMAND */
		const struct tt_preset *php = tt_preset_find("php-app");
		char **s = NULL;
		size_t n = 0;

		assert_non_null(php);
		assert_true(php->path_only);
		assert_null(php->env); /* no USE_ZEND_DTRACE */
		assert_int_equal(tt_preset_expand(php, "/x/tracetape.so", 1, &s, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(s[0], "usdt:/x/tracetape.so:phpapp:*");
		free(s[0]);
		free(s);
	}
}

TT_TEST(providers, pragma_at_the_end_of_unterminated_text)
{
	static const char text[] = "provider p { probe a(char *s, int n); };\n"
				   "#pragma tracetape string a s len=n";
	size_t len = strlen(text);
	char *copy = malloc(len); /* no NUL: ASan sees any read past the end */
	struct tt_provider_file *f = NULL;
	struct tt_provider_error e;

	assert_non_null(copy);
	memcpy(copy, text, len);
	assert_int_equal(tt_provider_file__parse(copy, len, "t.d", &f, &e), 0);
	assert_int_equal(f->providers[0].probes[0].args[0].kind, TT_KIND_BYTES);
	tt_provider_file__free(f);
	f = NULL;
	assert_int_equal(tt_provider_file__parse(copy, len - 1, "t.d", &f, &e), -TT_E_PARSE);
	assert_non_null(strstr(e.msg, "expected len=LENARG")); /* "len=" ends the text */
	free(copy);
}

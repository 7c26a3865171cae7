/* SPDX-License-Identifier: MIT */
/* Unit tests for schemas/go_gen.c: Go names, types, ABI0 frames, the descriptor text, errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_gen.h"
#include "tt_error.h"
#include "tt_test.h"

/* Generate from text; returns tt_go_gen()'s result, the message in err. */
static int gen(const char *text, const char *package, struct tt_go_gen *g, char *err, size_t err_sz)
{
	struct tt_provider_file *pf = NULL;
	struct tt_provider_error pe;
	int r;

	assert_int_equal(tt_provider_file__parse(text, strlen(text), "t.d", &pf, &pe), 0);
	r = tt_go_gen(pf, package, "dir/t.d", g, err, err_sz);
	tt_provider_file__free(pf);
	return r;
}

static int has(const struct tt_buf *b, const char *s)
{
	return b->len && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

TT_TEST(go_gen, func_names)
{
	static const struct {
		const char *probe, *go;
	} cases[] = {
		{"request__begin", "RequestBegin"}, {"query_start", "QueryStart"},
		{"x", "X"},			    {"_lead__trail_", "LeadTrail"},
		{"http2__frame", "Http2Frame"},	    {"a1b", "A1b"},
	};
	char buf[64];

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		assert_int_equal(tt_go_func_name(cases[i].probe, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].go);
	}
	assert_int_equal(tt_go_func_name("__", buf, sizeof(buf)), -1);
	assert_int_equal(tt_go_func_name("_1x", buf, sizeof(buf)), -1); /* "1x" is no name */
	assert_int_equal(tt_go_func_name("request__begin", buf, 5), -1);
	assert_true(tt_go_is_identifier("probes"));
	assert_true(tt_go_is_identifier("_x9"));
	assert_false(tt_go_is_identifier("func"));
	assert_false(tt_go_is_identifier("9a"));
	assert_false(tt_go_is_identifier("a-b"));
	assert_false(tt_go_is_identifier(""));
}

/* Offsets follow ABI0: each argument aligned to its type; the frame ends at the last one. */
TT_TEST(go_gen, types_offsets_and_descriptor)
{
	struct tt_go_gen g;
	char err[256] = "";

	assert_int_equal(gen("provider app {\n"
			     "  probe q__start(int8_t a, const char *sql, uint16_t b, double d,\n"
			     "                 const uint8_t *raw, void *p, float f, unsigned long u);\n"
			     "  probe tick();\n"
			     "};\n",
			     "probes", &g, err, sizeof(err)),
			 0);
	/* a@0 (1), sql@8 (16), b@24 (2), d@32 (8), raw@40 (24), p@64, f@72 (4), u@80: 88 */
	assert_true(has(&g.go, "func QStart(a int8, sql string, b uint16, d float64, raw []byte, "
			       "p uintptr, f float32, u uint64) {"));
	assert_true(has(&g.go, "func QStartEnabled() bool { return ttDesc_"));
	assert_true(has(&g.go, ".sema[1] != 0 }")); /* tick's semaphore */
	assert_true(has(&g.go, "func Tick() {"));
	assert_true(has(&g.go, "package probes\n"));
	assert_true(has(&g.go, "//go:build amd64\n"));
	assert_true(has(&g.go, "\tsema    [2]uint16\n"));
	/* each argument loaded into the next register, extended to 64 bits; then the site */
	assert_true(has(&g.asm_, "_QStart(SB), NOSPLIT|NOFRAME, $0-88\n"
				 "\tMOVBQSX a+0(FP), AX\n"
				 "\tMOVQ sql_base+8(FP), BX\n\tMOVQ sql_len+16(FP), CX\n"
				 "\tMOVWQZX b+24(FP), DX\n"
				 "\tMOVQ d+32(FP), SI\n"
				 "\tMOVQ raw_base+40(FP), DI\n\tMOVQ raw_len+48(FP), R8\n"
				 "\tMOVQ p+64(FP), R9\n"
				 "\tMOVL f+72(FP), R10\n"
				 "\tMOVQ u+80(FP), R11\n"
				 "\tMOVQ const_ttGoidOff_"));
	/* then the goroutine id into R15, by the offset of the build's Go version; the site */
	assert_true(has(&g.asm_, "(R14), R15\n"
				 "\tBYTE $0x0f; BYTE $0x1f; BYTE $0x44; BYTE $0x00; BYTE $0x00\n\tRET\n"));
	assert_true(has(&g.asm_, "#include \"go_asm.h\"\n"));
	assert_true(has(&g.go, "\tgoidOff: ttGoidOff_"));
	assert_true(has(&g.goid, "//go:build amd64 && (!go1.23 || go1.25)\n"));
	assert_true(has(&g.goid, " = 152\n"));
	assert_true(has(&g.goid123, "//go:build amd64 && go1.23 && !go1.25\n"));
	assert_true(has(&g.goid123, " = 160\n"));
	assert_true(has(&g.goid123, "package probes\n"));
	assert_true(has(&g.asm_, "_Tick(SB), NOSPLIT|NOFRAME, $0-0\n"));
	assert_true(has(&g.other, "//go:build !amd64\n"));
	assert_true(has(&g.other, "func QStart(_ int8, _ string, _ uint16, _ float64, _ []byte, "
				  "_ uintptr, _ float32, _ uint64) {}"));
	assert_true(has(&g.other, "func TickEnabled() bool { return false }"));
	assert_true(has(&g.go, "from t.d. DO NOT EDIT")); /* the base name only */
	tt_go_gen_free(&g);
	tt_go_gen_free(&g); /* a freed (zeroed) result may be freed again */
}

/* The descriptor's text is the meta array's bytes: decode them back from the Go source. */
TT_TEST(go_gen, descriptor_text)
{
	static const char want[] = "app q__start ttprobe_%08x_QStart i32@0=rax:n str@8=rbx,rcx:s "
				   "u64@24=rdx:arg2\n";
	struct tt_go_gen g;
	char err[256] = "", text[512], expect[512];
	const char *p;
	size_t n = 0;
	unsigned token;

	assert_int_equal(gen("provider app { probe q__start(int n, char *s, uint64_t); };", "p", &g,
			     err, sizeof(err)),
			 0);
	p = memmem(g.go.data, g.go.len, "ttDesc_", 7);
	assert_non_null(p);
	assert_int_equal(sscanf(p, "ttDesc_%08x", &token), 1);
	p = strstr((const char *)g.go.data, "meta: [");
	assert_non_null(p);
	p = strchr(p, '{') + 1;
	while (n < sizeof(text) - 1) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			break;
		text[n++] = (char)v;
		p = end + 1; /* past the comma */
	}
	text[n] = '\0';
	snprintf(expect, sizeof(expect), want, token);
	assert_string_equal(text, expect);
	assert_true(has(&g.go, "magic:   [8]byte{'T', 'T', 'G', 'O', 'D', 'E', 'S', 'C'}"));
	tt_go_gen_free(&g);
}

/* Argument names: Go keywords, assembly registers and names that could shadow the package's
 * own get a '_'. */
TT_TEST(go_gen, argument_names)
{
	struct tt_go_gen g;
	char err[256] = "";

	assert_int_equal(gen("provider app { probe x(int type, int ttDesc, int map, int, int g, "
			     "int SP, int R8, int Ok); };",
			     "p", &g, err, sizeof(err)),
			 0);
	assert_true(has(&g.go, "func X(type_ int32, ttDesc_ int32, map_ int32, arg3 int32, g_ int32, "
			       "SP_ int32, R8_ int32, Ok int32) {"));
	assert_true(has(&g.asm_, "\tMOVLQSX g_+16(FP), SI\n\tMOVLQSX SP_+20(FP), DI\n"));
	tt_go_gen_free(&g);
}

/* Twelve registers: an argument that no longer fits stays on the stack, and so do the rest. */
TT_TEST(go_gen, registers_then_stack)
{
	struct tt_go_gen g;
	char err[256] = "";

	assert_int_equal(gen("provider app { probe m(char *a, char *b, char *c, char *d, char *e, "
			     "int x, char *f, long y); };",
			     "p", &g, err, sizeof(err)),
			 0);
	assert_true(has(&g.asm_, "\tMOVQ e_base+64(FP), R10\n\tMOVQ e_len+72(FP), R11\n"
				 "\tMOVLQSX x+80(FP), R12\n"
				 "\tMOVQ const_ttGoidOff_"));
	assert_false(has(&g.asm_, "f_base"));
	assert_false(has(&g.asm_, "y+"));
	tt_go_gen_free(&g);
}

TT_TEST(go_gen, errors)
{
	static const struct {
		const char *text, *package;
		int err;
		const char *msg;
	} cases[] = {
		{"provider app { probe x(my_type_t v); };", "p", -TT_E_PARSE,
		 "app:x (line 1): argument 0 (my_type_t v) has no Go type"},
		{"provider app { probe a__b(); probe a_b(); };", "p", -TT_E_PARSE,
		 "app:a__b (line 1) and app:a_b (line 1) would both define AB"},
		{"provider app { probe x(); probe x__enabled(); };", "p", -TT_E_PARSE,
		 "app:x__enabled (line 1) and app:x (line 1) would both define XEnabled"},
		{"provider app { probe x(); };", "func", -TT_E_USAGE, "'func' is not a Go package name"},
		{"provider app { probe x(); };", "a.b", -TT_E_USAGE, "'a.b' is not a Go package name"},
		{"provider app { };", "p", -TT_E_PARSE, "no probe to generate"},
	};

	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_go_gen g;
		char err[256] = "";

		assert_int_equal(gen(cases[i].text, cases[i].package, &g, err, sizeof(err)), cases[i].err);
		assert_non_null(strstr(err, cases[i].msg));
		assert_int_equal(g.go.len + g.asm_.len + g.other.len + g.goid.len + g.goid123.len, 0);
	}
}

/* With several providers, the provider's name comes first. */
TT_TEST(go_gen, several_providers)
{
	struct tt_go_gen g;
	char err[256] = "";

	assert_int_equal(gen("provider a { probe x(); }; provider b_c { probe x(); };", "p", &g, err,
			     sizeof(err)),
			 0);
	assert_true(has(&g.go, "func AX() {"));
	assert_true(has(&g.go, "func BCX() {"));
	tt_go_gen_free(&g);
}

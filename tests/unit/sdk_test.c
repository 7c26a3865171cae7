/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the SDK header (sdk/include/tracetape/probe.h), compiled with the project's C11
 * flags: the probes defined here land in the test executable itself, whose notes are then read
 * back through recorder/usdt_notes from /proc/self/exe. Checks the kind of every integer type
 * (char, signed char, unsigned char, _Bool, enums, every width), floats, pointers, strings and
 * arrays, the argument names, the semaphores (own, shared, span) and the is-enabled check, by
 * playing the kernel's part and writing the semaphore.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracetape/probe.h>

#include "tt_test.h"
#include "tt_types.h"
#include "tt_util.h"
#include "usdt_notes.h"

/* The SDK's kind bytes are the contract of schemas/tt_types.h. */
_Static_assert(__TT_K_U1 == TT_KIND_U8 && __TT_K_U2 == TT_KIND_U16 && __TT_K_U4 == TT_KIND_U32 &&
		       __TT_K_U8 == TT_KIND_U64,
	       "unsigned kinds");
_Static_assert(__TT_K_S1 == TT_KIND_S8 && __TT_K_S2 == TT_KIND_S16 && __TT_K_S4 == TT_KIND_S32 &&
		       __TT_K_S8 == TT_KIND_S64,
	       "signed kinds");
_Static_assert(__TT_K_F4 == TT_KIND_F32 && __TT_K_F8 == TT_KIND_F64 && __TT_K_PTR == TT_KIND_PTR &&
		       __TT_K_STR == TT_KIND_STR,
	       "other kinds");

enum small { SMALL_A, SMALL_B };            /* unsigned int with gcc and clang */
enum negative { NEG_A = -1, NEG_B = 1 };    /* int */

static volatile int one = 1;

/* Playing the kernel: the uprobe ref_ctr is this 2-byte counter. */
extern volatile unsigned short sema_ut_guarded __asm__("__tt_sema_ut__guarded");

static __attribute__((noinline)) void fire_all(void)
{
	char c = (char)one;
	signed char sc = (signed char)-one;
	unsigned char uc = (unsigned char)one;
	_Bool b = one;
	short s = (short)one;
	unsigned short us = (unsigned short)one;
	int i = one;
	unsigned u = (unsigned)one;
	long l = one;
	unsigned long ul = (unsigned long)one;
	long long ll = one;
	unsigned long long ull = (unsigned long long)one;
	enum small e1 = one ? SMALL_B : SMALL_A;
	enum negative e2 = one ? NEG_A : NEG_B;
	int8_t i8 = (int8_t)one;
	uint64_t u64 = (uint64_t)one;
	float f = (float)one;
	double d = one;
	long double ld = one;
	char buf[8] = "x";
	const char *cs = buf;
	char *ms = buf;
	void *vp = buf;
	const unsigned char *ucp = (const unsigned char *)buf;
	struct {
		int id;
	} req = {one}, *rp = &req;

	TT_PROBE(ut, chars, c, sc, uc, b);
	TT_PROBE(ut, ints, s, us, i, u, l, ul, ll, ull);
	TT_PROBE(ut, enums, e1, e2, i8, u64, SMALL_B, NEG_A);
	TT_PROBE(ut, floats, f, d, ld, 1.5, 2.5f);
	TT_PROBE(ut, pointers, buf, cs, ms, vp, ucp, "literal");
	TT_PROBE(ut, names, rp->id, req.id, i + 1, i);
	TT_PROBE(ut, none);
	TT_PROBE(ut, twelve, c, sc, uc, b, s, us, i, u, l, ul, ll, ull);
	TT_SPAN_BEGIN(ut, span, i, cs);
	TT_SPAN_END(ut, span, i);
	TT_PROBE_SEMA(ut, grouped_a, group, i);
	TT_PROBE_SEMA(ut, grouped_b, group);
	TT_PROBE_EXPLICIT(ut, explicit, explicit, "first\0\0third", i, u, l);
	TT_PROBE_EXPLICIT(ut, anonymous, anonymous, 0, i);
	if (TT_PROBE_ENABLED(ut, guarded))
		TT_PROBE(ut, guarded, i);
}

static struct tt_usdt_file *self(void)
{
	struct tt_usdt_file *f = NULL;
	char msg[256];

	fire_all(); /* keep the probes' code alive and exercised */
	if (tt_usdt_file__open("/proc/self/exe", &f, msg, sizeof(msg)))
		fail_msg("reading /proc/self/exe: %s", msg);
	return f;
}

static const struct tt_usdt_site *site(const struct tt_usdt_file *f, const char *name)
{
	for (size_t i = 0; i < f->site_cnt; i++)
		if (!strcmp(f->sites[i].provider, "ut") && !strcmp(f->sites[i].name, name)) {
			assert_int_equal(f->sites[i].spec_err, 0);
			assert_int_equal(f->sites[i].has_types, 1);
			return &f->sites[i];
		}
	fail_msg("probe ut:%s not found", name);
	return NULL;
}

static void check_kinds(const struct tt_usdt_site *s, const uint8_t *kinds, unsigned n)
{
	assert_int_equal(s->argc, n);
	for (unsigned i = 0; i < n; i++) {
		if (s->kinds[i] != kinds[i])
			fail_msg("%s argument %u: kind 0x%02x, want 0x%02x", s->name, i, s->kinds[i], kinds[i]);
		/* The stapsdt sign and size agree with the kind (floats and pointers: unsigned). */
		assert_int_equal(s->args[i].size, TT_KIND_SIZE(kinds[i]));
		assert_int_equal(s->args[i].is_signed, TT_KIND_CLASS(kinds[i]) == TT_CLASS_SINT);
		assert_int_equal(s->args[i].is_float, 0); /* no 'f': bpftrace 0.17 rejects it */
	}
}

TT_TEST(sdk, integer_kinds_and_signs)
{
	static const uint8_t chars[] = {TT_KIND_S8 /* char is signed on x86-64 */, TT_KIND_S8, TT_KIND_U8,
					TT_KIND_U8};
	static const uint8_t ints[] = {TT_KIND_S16, TT_KIND_U16, TT_KIND_S32, TT_KIND_U32,
				       TT_KIND_S64, TT_KIND_U64, TT_KIND_S64, TT_KIND_U64};
	/* Enum variables take the underlying type; enumeration constants are ints in C. */
	static const uint8_t enums[] = {TT_KIND_U32, TT_KIND_S32, TT_KIND_S8, TT_KIND_U64,
					TT_KIND_S32, TT_KIND_S32};
	static const uint8_t twelve[] = {TT_KIND_S8,  TT_KIND_S8,  TT_KIND_U8,  TT_KIND_U8,
					 TT_KIND_S16, TT_KIND_U16, TT_KIND_S32, TT_KIND_U32,
					 TT_KIND_S64, TT_KIND_U64, TT_KIND_S64, TT_KIND_U64};
	struct tt_usdt_file *f = self();

	check_kinds(site(f, "chars"), chars, 4);
	check_kinds(site(f, "ints"), ints, 8);
	check_kinds(site(f, "enums"), enums, 6);
	check_kinds(site(f, "twelve"), twelve, 12);
	check_kinds(site(f, "none"), NULL, 0);
	tt_usdt_file__free(f);
}

TT_TEST(sdk, float_pointer_and_string_kinds)
{
	static const uint8_t floats[] = {TT_KIND_F32, TT_KIND_F64, TT_KIND_F64, TT_KIND_F64, TT_KIND_F32};
	static const uint8_t ptrs[] = {TT_KIND_STR, TT_KIND_STR, TT_KIND_STR, TT_KIND_PTR, TT_KIND_PTR,
				       TT_KIND_STR};
	struct tt_usdt_file *f = self();
	const struct tt_usdt_site *s;

	s = site(f, "floats");
	check_kinds(s, floats, 5);
	/* Constant floats travel as immediates of their bits, never as a constant-pool label. */
	assert_int_equal(s->args[3].loc, TT_LOC_CONST);
	assert_true(s->args[3].value == 0x3ff8000000000000LL);
	assert_int_equal(s->args[4].loc, TT_LOC_CONST);
	assert_true(s->args[4].value == 0x40200000);
	check_kinds(site(f, "pointers"), ptrs, 6);
	tt_usdt_file__free(f);
}

TT_TEST(sdk, argument_names)
{
	struct tt_usdt_file *f = self();
	const struct tt_usdt_site *s;

	s = site(f, "names");
	assert_string_equal(s->arg_names[0], "id");   /* rp->id */
	assert_null(s->arg_names[1]);                  /* req.id: "id" again, so argN */
	assert_null(s->arg_names[2]);                  /* i + 1 */
	assert_string_equal(s->arg_names[3], "i");
	s = site(f, "chars");
	assert_string_equal(s->arg_names[0], "c");
	assert_string_equal(s->arg_names[3], "b");
	s = site(f, "explicit");
	assert_string_equal(s->arg_names[0], "first");
	assert_null(s->arg_names[1]);
	assert_string_equal(s->arg_names[2], "third");
	s = site(f, "anonymous");
	assert_null(s->arg_names[0]);
	s = site(f, "none");
	assert_int_equal(s->argc, 0);
	tt_usdt_file__free(f);
}

TT_TEST(sdk, semaphores)
{
	struct tt_usdt_file *f = self();
	const struct tt_usdt_site *begin = site(f, "span__begin"), *end = site(f, "span__end");
	const struct tt_usdt_site *ga = site(f, "grouped_a"), *gb = site(f, "grouped_b");
	const struct tt_usdt_site *chars = site(f, "chars"), *ints = site(f, "ints");

	assert_true(chars->sema_vaddr != 0 && ints->sema_vaddr != 0);
	assert_true(chars->sema_vaddr != ints->sema_vaddr);  /* one each */
	assert_true(begin->sema_vaddr == end->sema_vaddr);   /* spans share theirs */
	assert_true(ga->sema_vaddr == gb->sema_vaddr);       /* TT_PROBE_SEMA */
	assert_true(ga->sema_vaddr != begin->sema_vaddr);
	assert_true(chars->sema_offset != 0);
	tt_usdt_file__free(f);
}

TT_TEST(sdk, site_is_one_nop)
{
	struct tt_usdt_file *f = self();
	int fd = open("/proc/self/exe", O_RDONLY);

	assert_true(fd >= 0);
	for (size_t i = 0; i < f->site_cnt; i++) {
		uint8_t code[6];

		if (strcmp(f->sites[i].provider, "ut"))
			continue;
		assert_int_equal(pread(fd, code, sizeof(code), (off_t)f->sites[i].pc_offset), 6);
		assert_int_equal(code[0], 0x90);
		/* Never the nop5 (0f 1f 44 00 00) that Linux 6.18 rewrites into a CALL. */
		assert_false(code[1] == 0x0f && code[2] == 0x1f && code[3] == 0x44);
	}
	close(fd);
	tt_usdt_file__free(f);
}

TT_TEST(sdk, enabled_follows_the_semaphore)
{
	assert_false(TT_PROBE_ENABLED(ut, guarded));
	assert_false(TT_SPAN_ENABLED(ut, span));
	assert_false(TT_SEMA_ENABLED(ut, group));
	sema_ut_guarded = 1; /* what the kernel does when a uprobe names this ref_ctr */
	assert_true(TT_PROBE_ENABLED(ut, guarded));
	sema_ut_guarded = 2;
	assert_true(TT_PROBE_ENABLED(ut, guarded));
	sema_ut_guarded = 0;
	assert_false(TT_PROBE_ENABLED(ut, guarded));
	/* A probe that no translation unit fires still has a semaphore to ask. */
	assert_false(TT_PROBE_ENABLED(ut, nowhere));
}

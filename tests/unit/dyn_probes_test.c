/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/dyn_probes: carriers recognised by their argument names; events of a
 * carrier turned into events of the probe they name, one probe per (carrier, name, value
 * names, kinds), with the values of every kind (null, false, true, integers, doubles, strings,
 * strings that could not be read) in place; events that break the wire format left as they
 * are; the cap on derived probes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tracetape/dynamic.h>

#include "dyn_probes.h"
#include "tt_test.h"
#include "tt_util.h"

static char *carrier_names[TT_DYN_ARGC] = {"__tt_name", "__tt_kinds", "__tt_v0", "__tt_v1",
					   "__tt_v2", "__tt_v3", "__tt_v4", "__tt_v5",
					   "__tt_v6", "__tt_v7", "__tt_v8", "__tt_v9"};

/* Probes 0..3: the three carriers of provider phpapp, then an ordinary probe. */
static struct tt_probe_set_probe probes[4];

static void setup_probes(void)
{
	static const char *names[] = {"probe", "span__begin", "span__end", "other"};

	memset(probes, 0, sizeof(probes));
	for (uint32_t id = 0; id < 4; id++) {
		struct tt_probe_desc *d = &probes[id].d;

		d->id = id;
		d->type = TT_PROBE_USDT;
		d->provider = "phpapp";
		d->name = names[id];
		d->binary = "/x/tracetape.so";
		d->argc = id == 3 ? 2 : TT_DYN_ARGC;
		for (unsigned i = 0; i < d->argc; i++)
			d->arg_names[i] = carrier_names[i];
	}
}

/* A counted object as the recorder receives it: just the bytes. */
static void val(struct tt_event *ev, unsigned slot, const void *p, uint32_t len)
{
	ev->strs[slot] = (struct tt_bytes){.ptr = p, .len = len};
}

static struct tt_event carrier_event(uint32_t carrier, const char *name, size_t name_len,
				     uint64_t word)
{
	struct tt_event ev = {.probe_id = carrier, .argc = TT_DYN_ARGC, .pid = 7, .tid = 8};

	val(&ev, 0, name, (uint32_t)name_len);
	ev.args[1] = word;
	/* unused and null slots: NULL pointers, which BPF reports as faults */
	for (unsigned i = 2; i < TT_DYN_ARGC; i++) {
		ev.strs[i].flags = TT_STR_FAULT;
		ev.fault_mask |= (uint16_t)(1u << i);
	}
	return ev;
}

static void set_read(struct tt_event *ev, unsigned value, const void *p, uint32_t len)
{
	val(ev, 2 + value, p, len);
	ev->fault_mask &= (uint16_t)~(1u << (2 + value));
}

#define KIND(i, k) ((uint64_t)(k) << TT_DYN_KIND_SHIFT(i))

TT_TEST(dyn_probes, carrier_args_by_names)
{
	uint8_t kinds[TT_MAX_ARGS];
	struct tt_provider_str strs[TT_MAX_ARGS];
	char *names[TT_DYN_ARGC];

	assert_int_equal(tt_dyn_carrier_args(TT_DYN_ARGC, carrier_names, kinds, strs), 1);
	assert_int_equal(kinds[0], TT_KIND_BYTES);
	assert_int_equal(kinds[1], TT_KIND_U64);
	assert_int_equal(strs[1].form, 0);
	for (unsigned i = 2; i < TT_DYN_ARGC; i++) {
		assert_int_equal(kinds[i], TT_KIND_BYTES);
		assert_int_equal(strs[i].form, TT_PROVIDER_STR_IN_OBJ);
		assert_int_equal(strs[i].len_off, TT_DYN_OBJ_LEN_OFF);
		assert_int_equal(strs[i].data_off, TT_DYN_OBJ_DATA_OFF);
		assert_int_equal(strs[i].len_size, 8);
	}
	/* another count, or other names: an ordinary probe */
	assert_int_equal(tt_dyn_carrier_args(TT_DYN_ARGC - 1, carrier_names, kinds, strs), 0);
	memcpy(names, carrier_names, sizeof(names));
	names[1] = "kinds";
	assert_int_equal(tt_dyn_carrier_args(TT_DYN_ARGC, names, kinds, strs), 0);
	names[1] = NULL;
	assert_int_equal(tt_dyn_carrier_args(TT_DYN_ARGC, names, kinds, strs), 0);
}

TT_TEST(dyn_probes, every_kind_of_value)
{
	struct tt_dyn_probes *t;
	const struct tt_probe_desc *added, *d;
	int64_t i64 = -5;
	double dbl = 2.5;
	uint64_t w = TT_DYN_KINDS(6) | KIND(0, TT_DYN_K_INT) | KIND(1, TT_DYN_K_FLOAT) |
		     KIND(2, TT_DYN_K_STRING) | KIND(3, TT_DYN_K_TRUE) | KIND(4, TT_DYN_K_FALSE) |
		     KIND(5, TT_DYN_K_NULL);
	struct tt_event ev = carrier_event(0, "checkout", 8, w), ev2;
	double back;

	setup_probes();
	t = tt_dyn_probes__new(probes, 4);
	assert_non_null(t);
	assert_true(tt_dyn_probes__has_carriers(t));
	set_read(&ev, 0, &i64, 8);
	set_read(&ev, 1, &dbl, 8);
	set_read(&ev, 2, "a\0b", 3);
	ev2 = ev;
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
	assert_non_null(added);
	assert_int_equal(added->id, 4);
	assert_string_equal(added->provider, "phpapp");
	assert_string_equal(added->name, "checkout");
	assert_string_equal(added->binary, "/x/tracetape.so");
	assert_int_equal(added->type, TT_PROBE_USDT);
	assert_int_equal(added->argc, 6);
	assert_int_equal(added->kinds[0], TT_KIND_S64);
	assert_int_equal(added->kinds[1], TT_KIND_F64);
	assert_int_equal(added->kinds[2], TT_KIND_BYTES);
	assert_int_equal(added->kinds[3], TT_KIND_U8);
	assert_int_equal(added->kinds[4], TT_KIND_U8);
	assert_int_equal(added->kinds[5], TT_KIND_NONE);
	for (unsigned i = 0; i < 6; i++)
		assert_null(added->arg_names[i]);

	assert_int_equal(ev.probe_id, 4);
	assert_int_equal(ev.argc, 6);
	assert_int_equal(ev.pid, 7);
	assert_int_equal((int64_t)ev.args[0], -5);
	memcpy(&back, &ev.args[1], 8);
	assert_true(back == 2.5);
	assert_int_equal(ev.strs[2].len, 3);
	assert_memory_equal(ev.strs[2].ptr, "a\0b", 3);
	assert_int_equal(ev.args[3], 1);
	assert_int_equal(ev.args[4], 0);
	assert_int_equal(ev.fault_mask, 1u << 5); /* null only */

	/* the same again: the same probe, nothing added */
	assert_int_equal(tt_dyn_probes__map(t, &ev2, &added), 0);
	assert_null(added);
	assert_int_equal(ev2.probe_id, 4);
	assert_int_equal(tt_dyn_probes__cnt(t), 1);
	assert_ptr_equal(tt_dyn_probes__at(t, 0)->name, tt_dyn_probes__at(t, 0)->name);
	assert_null(tt_dyn_probes__at(t, 1));

	/* false where it was true, true where it was false: a bool either way, the same probe */
	w ^= KIND(3, TT_DYN_K_TRUE ^ TT_DYN_K_FALSE) | KIND(4, TT_DYN_K_TRUE ^ TT_DYN_K_FALSE);
	ev = carrier_event(0, "checkout", 8, w);
	set_read(&ev, 0, &i64, 8);
	set_read(&ev, 1, &dbl, 8);
	set_read(&ev, 2, "a\0b", 3);
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
	assert_null(added);
	assert_int_equal(ev.probe_id, 4);
	assert_int_equal(ev.args[3], 0);
	assert_int_equal(ev.args[4], 1);

	/* another kind, another carrier, another name: three more probes */
	ev = carrier_event(0, "checkout", 8, TT_DYN_KINDS(1) | KIND(0, TT_DYN_K_STRING));
	set_read(&ev, 0, "x", 1);
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
	assert_int_equal(ev.probe_id, 5);
	ev = carrier_event(1, "checkout", 8, TT_DYN_KINDS(0));
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
	assert_string_equal(added->name, "checkout__begin");
	assert_int_equal(ev.argc, 0);
	ev = carrier_event(2, "checkout", 8, TT_DYN_KINDS(0));
	assert_int_equal(tt_dyn_probes__map(t, &ev, &d), 0);
	assert_string_equal(d->name, "checkout__end");
	assert_int_equal(d->id, 7);
	assert_int_equal(tt_dyn_probes__cnt(t), 4);

	/* an ordinary probe's event is left alone */
	ev = (struct tt_event){.probe_id = 3, .argc = 2, .args = {1, 2}};
	ev2 = ev;
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 1);
	assert_memory_equal(&ev, &ev2, sizeof(ev));
	tt_dyn_probes__free(t);
}

TT_TEST(dyn_probes, value_names_and_unreadable_values)
{
	static const char names[] = "pay\0id\0\0status";
	struct tt_dyn_probes *t;
	const struct tt_probe_desc *added;
	int64_t id = 42;
	uint64_t w = TT_DYN_KINDS(3) | TT_DYN_F_ARGNAMES | KIND(0, TT_DYN_K_INT) |
		     KIND(1, TT_DYN_K_STRING) | KIND(2, TT_DYN_K_INT);
	struct tt_event ev = carrier_event(1, names, sizeof(names) - 1, w);

	setup_probes();
	t = tt_dyn_probes__new(probes, 4);
	assert_non_null(t);
	set_read(&ev, 0, &id, 8);
	/* value 1 is a string BPF could not read; value 2 an integer object of a wrong length */
	ev.strs[3].flags = TT_STR_FAULT;
	set_read(&ev, 2, &id, 4);
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
	assert_string_equal(added->name, "pay__begin");
	assert_string_equal(added->arg_names[0], "id");
	assert_null(added->arg_names[1]);
	assert_string_equal(added->arg_names[2], "status");
	assert_int_equal(ev.args[0], 42);
	assert_int_equal(ev.fault_mask, 0x2 | 0x4);
	assert_true(ev.strs[1].flags & TT_STR_FAULT);

	/* the same name with other value names is another probe */
	ev = carrier_event(1, "pay\0id\0\0state", 14, w);
	set_read(&ev, 0, &id, 8);
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
	assert_non_null(added);
	assert_string_equal(added->arg_names[2], "state");
	tt_dyn_probes__free(t);
}

TT_TEST(dyn_probes, broken_events_stay_the_carriers)
{
	struct tt_dyn_probes *t;
	const struct tt_probe_desc *added;
	const uint64_t good = TT_DYN_KINDS(1) | KIND(0, TT_DYN_K_TRUE);
	static const struct {
		const char *what;
		const char *name;
		uint32_t name_len;
		uint64_t word;
		uint16_t fault;
	} cases[] = {
		{"empty name", "", 0, TT_DYN_KINDS(0), 0},
		{"name begins with NUL", "\0x", 2, TT_DYN_KINDS(0), 0},
		{"name unreadable", "x", 1, TT_DYN_KINDS(0), 1},
		{"kinds unreadable", "x", 1, TT_DYN_KINDS(0), 2},
		{"version 2", "x", 1, 2 << 4, 0},
		{"version 0", "x", 1, 0, 0},
		{"11 values", "x", 1, TT_DYN_KINDS(11), 0},
		{"unknown kind", "x", 1, TT_DYN_KINDS(1) | KIND(0, 6), 0},
		{"a kind past the count", "x", 1, good | KIND(1, TT_DYN_K_INT), 0},
		{"an unknown flag", "x", 1, good | 1ULL << 63, 0},
	};

	setup_probes();
	t = tt_dyn_probes__new(probes, 4);
	assert_non_null(t);
	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_event ev = carrier_event(0, cases[i].name, cases[i].name_len, cases[i].word);
		struct tt_event before;

		ev.fault_mask |= cases[i].fault;
		before = ev;
		if (tt_dyn_probes__map(t, &ev, &added) != -EBADMSG)
			fail_msg("%s: not refused", cases[i].what);
		assert_memory_equal(&ev, &before, sizeof(ev));
	}
	assert_int_equal(tt_dyn_probes__cnt(t), 0);
	tt_dyn_probes__free(t);
}

TT_TEST(dyn_probes, at_most_max_probes)
{
	struct tt_dyn_probes *t;
	const struct tt_probe_desc *added;
	char name[16];
	struct tt_event ev;

	setup_probes();
	t = tt_dyn_probes__new(probes, 4);
	assert_non_null(t);
	for (unsigned i = 0; i < TT_DYN_PROBES_MAX; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		ev = carrier_event(0, name, strlen(name), TT_DYN_KINDS(0));
		assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
		assert_int_equal(ev.probe_id, 4 + i);
	}
	ev = carrier_event(0, "one_more", 8, TT_DYN_KINDS(0));
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), -EBADMSG);
	assert_int_equal(ev.probe_id, 0);
	/* a known one still maps */
	ev = carrier_event(0, "p7", 2, TT_DYN_KINDS(0));
	assert_int_equal(tt_dyn_probes__map(t, &ev, &added), 0);
	assert_int_equal(ev.probe_id, 11);
	tt_dyn_probes__free(t);
}

TT_TEST(dyn_probes, no_carriers)
{
	struct tt_dyn_probes *t;

	setup_probes();
	probes[0].d.arg_names[1] = "kinds";
	probes[1].d.type = TT_PROBE_UPROBE;
	probes[2].d.name = "probe2";
	t = tt_dyn_probes__new(probes, 4);
	assert_non_null(t);
	assert_false(tt_dyn_probes__has_carriers(t));
	tt_dyn_probes__free(t);
}

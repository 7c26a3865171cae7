/* SPDX-License-Identifier: MIT */
/*
 * Dynamic probes: probes that code in a language without ELF notes (PHP, through sdk/php/)
 * names at run time. Such a binding fires a few fixed USDT probes, the *carriers*, whose
 * arguments are the probe's name, a word of value kinds and the values themselves
 * (<tracetape/dynamic.h>, schemas/DYNAMIC_PROBES.md). This module recognises the carriers
 * among a capture's probes, tells the probe set how to read their arguments (counted objects),
 * and turns each event of a carrier into an event of the probe the code named: one probe per
 * distinct (carrier, name, value names, value kinds), created the first time it is met, with
 * an id past the capture's static probes and argument kinds from the values. The session
 * writes each new probe's description into the tape before its first event, so a tape stays
 * self-describing and the analyzer sees `phpapp:checkout` like any other probe.
 *
 * Not thread-safe: one table is used by the thread that consumes the ring.
 */
#ifndef TT_DYN_PROBES_H
#define TT_DYN_PROBES_H

#include <linux/types.h> /* the __u8.. of record.h, under probe_set.h */
#include <stddef.h>
#include <stdint.h>

#include "probe_set.h"
#include "provider_file.h"
#include "tt_event.h"

/* Most probes one capture derives from carriers; past it, events stay the carrier's own. */
#define TT_DYN_PROBES_MAX 4096

/*
 * Is a USDT site with these argument names (argc of them, from its tracetape note) a carrier?
 * If so, fill kinds[] and strs[] (argc entries) with how to record its arguments: the name and
 * the values as counted objects, the kinds word as a 64-bit integer. Returns 1 or 0.
 */
int tt_dyn_carrier_args(unsigned argc, char *const *arg_names, uint8_t *kinds,
			struct tt_provider_str *strs);

struct tt_dyn_probes;

/*
 * A table over the capture's probes (probes[0, probe_cnt), borrowed until the table is freed;
 * ids are positions): derived probes get ids from probe_cnt up. Returns NULL with errno set
 * (ENOMEM).
 */
struct tt_dyn_probes *tt_dyn_probes__new(const struct tt_probe_set_probe *probes,
					 size_t probe_cnt);

/* Does the capture have carriers? (A session without them need not call map.) */
int tt_dyn_probes__has_carriers(const struct tt_dyn_probes *t);

/*
 * If ev is an event of a carrier, rewrite it in place into an event of the probe it names
 * (probe id, argument count, values, fault bits; string pointers still point into the
 * original record), creating that probe if it is new: *added then points to its description
 * (owned by the table, valid until it is freed), else *added is NULL.
 * Returns 0 (rewritten), 1 (not a carrier's event: left as it is), -EBADMSG (a carrier's
 * event that breaks the wire format, or a capture past TT_DYN_PROBES_MAX: left as the
 * carrier's event) or -ENOMEM.
 */
int tt_dyn_probes__map(struct tt_dyn_probes *t, struct tt_event *ev,
		       const struct tt_probe_desc **added);

/* The derived probes so far, in id order (a rotated tape describes them again). */
size_t tt_dyn_probes__cnt(const struct tt_dyn_probes *t);
const struct tt_probe_desc *tt_dyn_probes__at(const struct tt_dyn_probes *t, size_t i);

/* Free t and every description it made. Accepts NULL. */
void tt_dyn_probes__free(struct tt_dyn_probes *t);

#endif /* TT_DYN_PROBES_H */

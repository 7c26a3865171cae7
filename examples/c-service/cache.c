/* SPDX-License-Identifier: MIT */
/*
 * The cache library. Its probes are ordinary TT_PROBE calls: nothing about being in a shared
 * library changes how you write them.
 */
#include <stdio.h>
#include <string.h>

#include <tracetape/probe.h>

#include "cache.h"

#define SLOTS 4

static struct {
	char key[64];
	char value[64];
} slots[SLOTS];
static unsigned next_slot;

int cache_get(const char *key, char *buf, size_t buf_sz)
{
	int hit = 0;

	for (unsigned i = 0; i < SLOTS && !hit; i++) {
		if (slots[i].key[0] && !strcmp(slots[i].key, key)) {
			snprintf(buf, buf_sz, "%s", slots[i].value);
			hit = 1;
		}
	}
	/*
	 * A string argument and an integer. The recorder stores the text of the key, not the
	 * pointer, because key is a char *; the columns are named after the expressions you
	 * pass, here "key" and "hit".
	 */
	TT_PROBE(cache, lookup, key, hit);
	return hit;
}

void cache_put(const char *key, const char *value)
{
	unsigned slot = next_slot++ % SLOTS;

	snprintf(slots[slot].key, sizeof(slots[slot].key), "%s", key);
	snprintf(slots[slot].value, sizeof(slots[slot].value), "%s", value);
	/* The slot that was (over)written, so that evictions can be counted. */
	TT_PROBE(cache, store, key, slot);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of analyzer/ch_url.c: clickhouse:// URLs taken apart (defaults, user and password
 * with escapes, IPv6, cluster and shards), and every malformed part refused with a sentence
 * naming it.
 */
#include <string.h>

#include "ch_url.h"
#include "tt_test.h"

TT_TEST(ch_url, parts_and_defaults)
{
	struct tt_ch_url u;
	char why[256];

	assert_true(tt_ch_url_is("clickhouse://h"));
	assert_false(tt_ch_url_is("app.db"));
	assert_int_equal(tt_ch_url_parse("clickhouse://db.example", &u, why, sizeof(why)), 0);
	assert_string_equal(u.entry.host, "db.example");
	assert_int_equal(u.entry.port, 8123);
	assert_string_equal(u.database, "tracetape");
	assert_null(u.user);
	assert_null(u.cluster);
	assert_int_equal(u.shard_cnt, 0);
	tt_ch_url_free(&u);

	assert_int_equal(tt_ch_url_parse("clickhouse://ana:p%40ss%3Aw@[::1]:9000/fleet?cluster=c1"
					 "&shards=10.0.0.1:8124,[::2]", &u, why, sizeof(why)), 0);
	assert_string_equal(u.user, "ana");
	assert_string_equal(u.password, "p@ss:w");
	assert_string_equal(u.entry.host, "::1");
	assert_int_equal(u.entry.port, 9000);
	assert_string_equal(u.database, "fleet");
	assert_string_equal(u.cluster, "c1");
	assert_int_equal(u.shard_cnt, 2);
	assert_string_equal(u.shards[0].host, "10.0.0.1");
	assert_int_equal(u.shards[0].port, 8124);
	assert_string_equal(u.shards[1].host, "::2");
	assert_int_equal(u.shards[1].port, 9000); /* the URL's port when a shard has none */
	tt_ch_url_free(&u);
	tt_ch_url_free(&u); /* an empty one is accepted */
}

TT_TEST(ch_url, malformed_parts_are_named)
{
	static const struct {
		const char *url, *why;
	} cases[] = {
		{"sqlite://x", "does not start with clickhouse://"},
		{"clickhouse://", "no host"},
		{"clickhouse://h:0", "port '0' is not a number from 1 to 65535"},
		{"clickhouse://h:12x", "port '12x' is not a number"},
		{"clickhouse://h:", "expected a port number after ':'"},
		{"clickhouse://[::1", "has no ']'"},
		{"clickhouse://h o", "' ' cannot be in a host name"},
		{"clickhouse://@h", "an empty user name"},
		{"clickhouse://a:%4@h", "broken %XX escape"},
		{"clickhouse://h/1db", "database '1db': expected a name"},
		{"clickhouse://h/db?cluster", "expected NAME=VALUE"},
		{"clickhouse://h/db?cluster=a-b", "cluster 'a-b'"},
		{"clickhouse://h/db?cluster=a&cluster=b", "cluster given twice"},
		{"clickhouse://h/db?shards=h2", "shards given without cluster"},
		{"clickhouse://h/db?cluster=c&shards=h2,,h3", "an empty entry"},
		{"clickhouse://h/db?replicas=2", "unknown parameter 'replicas'"},
	};
	struct tt_ch_url u;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = 0;
		assert_int_equal(tt_ch_url_parse(cases[i].url, &u, why, sizeof(why)), -22 /* EINVAL */);
		if (!strstr(why, cases[i].why))
			fail_msg("%s: got '%s', want '%s'", cases[i].url, why, cases[i].why);
		assert_null(u.database);
	}
}

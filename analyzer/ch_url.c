/* SPDX-License-Identifier: MIT */
/*
 * Parsing clickhouse:// URLs (ch_url.h). USER and PASSWORD may carry %XX escapes (a password with
 * '@' or ':' in it); everything else is taken as written.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_url.h"
#include "tt_util.h"

int tt_ch_url_is(const char *s)
{
	return s && !strncmp(s, TT_CH_URL_SCHEME, strlen(TT_CH_URL_SCHEME));
}

static int fail(char *why, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) with %XX decoded, into a new string; NULL with *bad set for a broken escape. */
static char *decode(const char *s, size_t n, int *bad)
{
	char *d = malloc(n + 1), *p = d;

	*bad = 0;
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*p++ = s[i];
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
			*bad = 1;
			free(d);
			return NULL;
		}
		*p++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
	*p = 0;
	return d;
}

/*
 * HOST[:PORT] of s[0..n) into e (port default_port when absent). what names the part in
 * messages. 0, -EINVAL with why, -ENOMEM.
 */
static int parse_endpoint(const char *s, size_t n, unsigned default_port, struct tt_ch_endpoint *e,
			  const char *what, char *why, size_t why_sz)
{
	const char *host = s, *colon = NULL;
	size_t host_len;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return fail(why, why_sz, "%s '%.*s': an IPv6 address in '[' has no ']'", what,
				    (int)n, s);
		host = s + 1;
		host_len = (size_t)(close - host);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return fail(why, why_sz, "%s '%.*s': expected ':PORT' after ']'", what,
					    (int)n, s);
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		host_len = colon ? (size_t)(colon - s) : n;
	}
	if (!host_len)
		return fail(why, why_sz, "%s '%.*s': no host", what, (int)n, s);
	for (size_t i = 0; i < host_len; i++) {
		char c = host[i];

		if (!(c == '.' || c == '-' || c == '_' || c == ':' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return fail(why, why_sz, "%s '%.*s': '%c' cannot be in a host name", what,
				    (int)n, s, c);
	}
	e->port = default_port;
	if (colon) {
		char port[16];
		uint64_t v;
		size_t plen = (size_t)(s + n - colon - 1);

		if (!plen || plen >= sizeof(port))
			return fail(why, why_sz, "%s '%.*s': expected a port number after ':'", what,
				    (int)n, s);
		memcpy(port, colon + 1, plen);
		port[plen] = 0;
		if (tt_parse_u64(port, 1, 65535, &v))
			return fail(why, why_sz, "%s '%.*s': port '%s' is not a number from 1 to 65535",
				    what, (int)n, s, port);
		e->port = (unsigned)v;
	}
	e->host = strndup(host, host_len);
	return e->host ? 0 : -ENOMEM;
}

static int is_ident(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}

/* The shards=H:P,H:P list. */
static int parse_shards(const char *s, size_t n, struct tt_ch_url *u, char *why, size_t why_sz)
{
	size_t cnt = 1;

	for (size_t i = 0; i < n; i++)
		cnt += s[i] == ',';
	u->shards = calloc(cnt, sizeof(*u->shards));
	if (!u->shards)
		return -ENOMEM;
	for (const char *p = s, *end = s + n; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *q = comma ? comma : end;
		int err;

		if (q == p)
			return fail(why, why_sz, "shards: an empty entry (expected HOST:PORT,HOST:PORT...)");
		err = parse_endpoint(p, (size_t)(q - p), u->entry.port, &u->shards[u->shard_cnt],
				     "shards entry", why, why_sz);
		if (err)
			return err;
		u->shard_cnt++;
		p = q + 1;
	}
	return 0;
}

static int parse_query(const char *s, struct tt_ch_url *u, char *why, size_t why_sz)
{
	while (*s) {
		const char *amp = strchr(s, '&'), *end = amp ? amp : s + strlen(s);
		const char *eq = memchr(s, '=', (size_t)(end - s));
		size_t klen = eq ? (size_t)(eq - s) : (size_t)(end - s);
		const char *v = eq ? eq + 1 : end;
		size_t vlen = (size_t)(end - v);
		int err = 0;

		if (!eq || !vlen)
			return fail(why, why_sz, "'%.*s': expected NAME=VALUE after '?'", (int)(end - s), s);
		if (klen == 7 && !strncmp(s, "cluster", 7)) {
			if (u->cluster)
				return fail(why, why_sz, "cluster given twice");
			if (!is_ident(v, vlen))
				return fail(why, why_sz, "cluster '%.*s': expected a name of letters, digits "
					    "and '_'", (int)vlen, v);
			u->cluster = strndup(v, vlen);
			err = u->cluster ? 0 : -ENOMEM;
		} else if (klen == 6 && !strncmp(s, "shards", 6)) {
			if (u->shards)
				return fail(why, why_sz, "shards given twice");
			err = parse_shards(v, vlen, u, why, why_sz);
		} else {
			return fail(why, why_sz, "unknown parameter '%.*s' (expected cluster or shards)",
				    (int)klen, s);
		}
		if (err)
			return err;
		s = amp ? amp + 1 : end;
	}
	if (u->shards && !u->cluster)
		return fail(why, why_sz, "shards given without cluster");
	return 0;
}

int tt_ch_url_parse(const char *s, struct tt_ch_url *u, char *why, size_t why_sz)
{
	const char *p, *at, *hostpart, *slash, *q, *auth_end;
	int err = -ENOMEM, bad;

	memset(u, 0, sizeof(*u));
	if (!tt_ch_url_is(s))
		return fail(why, why_sz, "'%s' does not start with %s", s, TT_CH_URL_SCHEME);
	p = s + strlen(TT_CH_URL_SCHEME);
	q = strchr(p, '?');
	slash = strchr(p, '/');
	if (q && slash && slash > q)
		slash = NULL;
	auth_end = slash ? slash : q ? q : p + strlen(p);
	at = memchr(p, '@', (size_t)(auth_end - p));
	hostpart = p;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);

		if (!ulen) {
			err = fail(why, why_sz, "an empty user name before '@'");
			goto fail;
		}
		u->user = decode(p, ulen, &bad);
		if (!u->user && bad) {
			err = fail(why, why_sz, "the user name has a broken %%XX escape");
			goto fail;
		}
		if (!u->user)
			goto fail;
		if (colon) {
			u->password = decode(colon + 1, (size_t)(at - colon - 1), &bad);
			if (!u->password && bad) {
				err = fail(why, why_sz, "the password has a broken %%XX escape");
				goto fail;
			}
			if (!u->password)
				goto fail;
		}
		hostpart = at + 1;
	}
	err = parse_endpoint(hostpart, (size_t)(auth_end - hostpart), TT_CH_DEFAULT_PORT, &u->entry,
			     "host", why, why_sz);
	if (err)
		goto fail;
	if (slash && slash + 1 < (q ? q : slash + 1 + strlen(slash + 1))) {
		const char *db = slash + 1, *db_end = q ? q : db + strlen(db);

		if (!is_ident(db, (size_t)(db_end - db))) {
			err = fail(why, why_sz, "database '%.*s': expected a name of letters, digits and '_'",
				   (int)(db_end - db), db);
			goto fail;
		}
		u->database = strndup(db, (size_t)(db_end - db));
	} else {
		u->database = strdup(TT_CH_DEFAULT_DATABASE);
	}
	err = -ENOMEM;
	if (!u->database)
		goto fail;
	if (q) {
		err = parse_query(q + 1, u, why, why_sz);
		if (err)
			goto fail;
	}
	return 0;
fail:
	if (err == -ENOMEM)
		snprintf(why, why_sz, "out of memory");
	tt_ch_url_free(u);
	return err;
}

void tt_ch_url_free(struct tt_ch_url *u)
{
	free(u->user);
	free(u->password);
	free(u->entry.host);
	free(u->database);
	free(u->cluster);
	for (size_t i = 0; i < u->shard_cnt; i++)
		free(u->shards[i].host);
	free(u->shards);
	memset(u, 0, sizeof(*u));
}

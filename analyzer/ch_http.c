/* SPDX-License-Identifier: MIT */
/*
 * ClickHouse over HTTP with libcurl (ch_http.h). One easy handle per connection, so that
 * keep-alive reuses one TCP connection for every request of a load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ch_http.h"
#include "tt_error.h"

#define CH_CONNECT_TIMEOUT_S 10L
#define CH_ERR_SHOWN 600 /* bytes of a server's message shown */

struct tt_ch_conn {
	CURL *curl;
	char *base;    /* http://HOST:PORT/?settings& */
	char name[300];
	char errbuf[CURL_ERROR_SIZE];
};

static int curl_ready;

struct tt_ch_conn *tt_ch_conn__new(const struct tt_ch_url *u, const struct tt_ch_endpoint *e,
				   const char *settings)
{
	struct tt_ch_conn *c;
	int v6 = strchr(e->host, ':') != NULL;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			errno = ENOMEM;
			return NULL;
		}
		curl_ready = 1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->curl = curl_easy_init();
	snprintf(c->name, sizeof(c->name), v6 ? "[%s]:%u" : "%s:%u", e->host, e->port);
	if (!c->curl || asprintf(&c->base, "http://%s/?%s%s", c->name, settings ? settings : "",
				 settings && *settings ? "&" : "") < 0) {
		c->base = NULL;
		tt_ch_conn__free(c);
		errno = ENOMEM;
		return NULL;
	}
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CH_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_NOPROXY, "*");
	if (u->user) {
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, u->user);
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, u->password ? u->password : "");
	}
	return c;
}

void tt_ch_conn__free(struct tt_ch_conn *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->base);
	free(c);
}

const char *tt_ch_conn__name(const struct tt_ch_conn *c)
{
	return c->name;
}

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct tt_buf *b = ud;

	return tt_buf_append(b, p, sz * n) ? 0 : sz * n;
}

/* Results streamed to a file (status 200), or kept for the error message. */
struct sink {
	struct tt_ch_conn *c;
	FILE *f;
	struct tt_buf *err_text;
};

static size_t on_stream(char *p, size_t sz, size_t n, void *ud)
{
	struct sink *k = ud;
	long status = 0;

	curl_easy_getinfo(k->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return tt_buf_append(k->err_text, p, sz * n) ? 0 : sz * n;
	return fwrite(p, sz, n, k->f) == n ? sz * n : 0;
}

/* A body made while it is sent (chunked): the producer fills buf whenever it has been sent. */
struct upload {
	tt_ch_fill_fn fill;
	void *ctx;
	struct tt_buf buf;
	size_t off;
	int done, err;
};

static size_t on_read(char *dst, size_t sz, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k;

	while (u->off == u->buf.len && !u->done) {
		int r;

		u->buf.len = u->off = 0;
		r = u->fill(u->ctx, &u->buf);
		if (r < 0) {
			u->err = r;
			return CURL_READFUNC_ABORT;
		}
		u->done = r == 0;
	}
	k = TT_MIN(sz * n, u->buf.len - u->off);
	if (k)
		memcpy(dst, u->buf.data + u->off, k);
	u->off += k;
	return k;
}

/*
 * POST body[0..len) (or, with up, what up makes) to base + query (URL-escaped here, may be
 * NULL); the result into res, or streamed to f when f is not NULL.
 */
static int post(struct tt_ch_conn *c, const char *query, const void *body, size_t len,
		struct upload *up, struct tt_buf *res, FILE *f, const struct tt_out *out)
{
	struct tt_buf got = {0};
	struct sink k = {c, f, &got};
	struct curl_slist *hdr = NULL;
	char *url = NULL, *esc = NULL;
	long status = 0;
	CURLcode rc;
	int err = 0;

	if (query) {
		esc = curl_easy_escape(c->curl, query, 0);
		if (!esc)
			return -ENOMEM;
	}
	if (asprintf(&url, "%s%s%s", c->base, esc ? "query=" : "", esc ? esc : "") < 0) {
		url = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	if (up) {
		/* chunked: the server parses one part while the next is made; no 100-continue wait */
		hdr = curl_slist_append(NULL, "Expect:");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
		curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c->curl, CURLOPT_READDATA, up);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, f ? on_stream : on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, f ? (void *)&k : (void *)&got);
	c->errbuf[0] = 0;
	rc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	if (up && up->err) {
		err = up->err; /* the producer failed (and said why) */
		goto cleanup;
	}
	if (rc != CURLE_OK) {
		tt_err(out, "ClickHouse at %s: %s", c->name, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		err = -TT_E_SERVER;
		goto cleanup;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		size_t n = got.len;

		while (n && (got.data[n - 1] == '\n' || got.data[n - 1] == ' '))
			n--;
		tt_err(out, "ClickHouse at %s (HTTP %ld): %.*s%s", c->name, status,
		       (int)TT_MIN(n, (size_t)CH_ERR_SHOWN), n ? (const char *)got.data : "(no message)",
		       n > CH_ERR_SHOWN ? "..." : "");
		err = -TT_E_SERVER;
		goto cleanup;
	}
	if (res && got.len)
		err = tt_buf_append(res, got.data, got.len);
cleanup:
	curl_slist_free_all(hdr);
	tt_buf_free(&got);
	curl_free(esc);
	free(url);
	return err;
}

int tt_ch_exec(struct tt_ch_conn *c, const char *sql, struct tt_buf *res, const struct tt_out *out)
{
	tt_dbg(out, "ClickHouse at %s: %s", c->name, sql);
	return post(c, NULL, sql, strlen(sql), NULL, res, NULL, out);
}

int tt_ch_exec_to(struct tt_ch_conn *c, const char *sql, FILE *f, const struct tt_out *out)
{
	tt_dbg(out, "ClickHouse at %s: %s", c->name, sql);
	return post(c, NULL, sql, strlen(sql), NULL, NULL, f, out);
}

int tt_ch_insert(struct tt_ch_conn *c, const char *table, const char *columns,
		 tt_ch_fill_fn fill, void *ctx, const struct tt_out *out)
{
	struct upload up = {.fill = fill, .ctx = ctx};
	struct tt_buf q = {0};
	int err;

	err = tt_buf_printf(&q, "INSERT INTO %s (%s) FORMAT RowBinary", table, columns);
	if (!err)
		err = post(c, (const char *)q.data, NULL, 0, &up, NULL, NULL, out);
	tt_buf_free(&up.buf);
	tt_buf_free(&q);
	return err;
}

int tt_ch_query_u64(struct tt_ch_conn *c, const char *sql, uint64_t *v, const struct tt_out *out)
{
	struct tt_buf res = {0};
	int err = tt_ch_exec(c, sql, &res, out);

	if (!err) {
		char num[32];
		size_t n = TT_MIN(res.len, sizeof(num) - 1);

		memcpy(num, res.data ? (const char *)res.data : "", n);
		num[n] = 0;
		if (n && num[n - 1] == '\n')
			num[n - 1] = 0;
		if (tt_parse_u64(num, 0, UINT64_MAX, v)) {
			tt_err(out, "ClickHouse at %s: expected a number from '%s', got '%s'", c->name, sql,
			       num);
			err = -TT_E_SERVER;
		}
	}
	tt_buf_free(&res);
	return err;
}

int tt_rb_i64(struct tt_buf *b, int64_t v)
{
	int err = tt_buf_reserve(b, 8);

	if (!err) {
		tt_put_le64(b->data + b->len, (uint64_t)v);
		b->len += 8;
	}
	return err;
}

int tt_rb_f64(struct tt_buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, 8);
	return tt_rb_i64(b, (int64_t)u);
}

int tt_rb_u8(struct tt_buf *b, uint8_t v)
{
	return tt_buf_append(b, &v, 1);
}

int tt_rb_str(struct tt_buf *b, const void *s, size_t n)
{
	int err = tt_buf_reserve(b, 10 + n);

	if (!err) {
		b->len += tt_varint_put(b->data + b->len, n);
		if (n)
			memcpy(b->data + b->len, s, n);
		b->len += n;
	}
	return err;
}

int tt_ch_quote(struct tt_buf *b, const char *s)
{
	int err = tt_buf_append(b, "'", 1);

	for (; !err && *s; s++) {
		if (*s == '\\' || *s == '\'')
			err = tt_buf_append(b, "\\", 1);
		if (!err)
			err = tt_buf_append(b, s, 1);
	}
	return err ? err : tt_buf_append(b, "'", 1);
}

/* SPDX-License-Identifier: MIT */
/*
 * c-service: a pretend HTTP service with tracetape probes, written to be copied.
 *
 * What it does: the main thread "accepts" --requests requests (default 300), one every
 * --sleep-us microseconds (default 1000), and hands each to a worker thread through a small
 * queue. The worker looks the route up in a cache (which lives in a shared library,
 * libsvccache.so), pretends to work, and answers. Nothing is random: request i asks for
 * routes[i % 4], and "/missing" (every fourth request) gets a 404, so the numbers printed at
 * the end are known in advance (see README.md).
 *
 * What it shows, probe by probe:
 *   svc:request__begin / svc:request__end   a span per request (TT_SPAN_BEGIN/END) that begins
 *                                           on the main thread and ends on the worker thread;
 *                                           the analyzer pairs them by request id
 *   svc:response                            integers, a string and a float (the latency)
 *   svc:request__dump                       an argument that is expensive to build, built only
 *                                           while someone traces the probe (TT_PROBE_ENABLED)
 *   cache:lookup, cache:store               probes in a shared library
 *
 * Try it:
 *   tracetape list ./c-service ./libsvccache.so
 *   sudo bpftrace -e 'usdt:./c-service:svc:response { @[str(arg2)] = count(); }' -c ./c-service
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One include. No library to link: the header is all there is. */
#include <tracetape/probe.h>

#include "cache.h"

static const char *const routes[] = {"/", "/users", "/orders", "/missing"};

struct request {
	long id;                 /* the span id: unique while the request is in flight */
	const char *route;
	struct timespec start;
};

/* A bounded queue between the accepting thread and the worker. */
#define QUEUE_LEN 16
static struct {
	struct request items[QUEUE_LEN];
	unsigned head, tail, count;
	int done;
	pthread_mutex_t lock;
	pthread_cond_t changed;
} queue = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static struct {
	long ok, not_found, hits, misses;
} stats;

static long sleep_us = 1000;
static long slow_every, slow_us = 2000; /* every slow_every-th request works slow_us longer */
static FILE *log_file; /* --log: the service's own account of each response */

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static void pause_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void handle(struct request *req)
{
	char body[64];
	int status = 200;

	if (!strcmp(req->route, "/missing")) {
		status = 404;
		snprintf(body, sizeof(body), "not found");
		stats.not_found++;
	} else if (cache_get(req->route, body, sizeof(body))) {
		stats.hits++;
		stats.ok++;
	} else {
		snprintf(body, sizeof(body), "page for %s", req->route);
		cache_put(req->route, body);
		stats.misses++;
		stats.ok++;
	}
	pause_us(sleep_us / 2); /* the "work" */
	if (slow_every && req->id % slow_every == 0)
		pause_us(slow_us); /* a slow request, for tail capture (record --keep) */

	/*
	 * Integers, a string and a double in one probe. Each argument's type is recorded in the
	 * binary: route and body become text columns, latency_ms a REAL, without any annotation.
	 */
	double latency_ms = ms_since(&req->start);
	size_t bytes = strlen(body);
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	TT_PROBE(svc, response, req->id, status, req->route, bytes, latency_ms);
	/* A log line per response, when it was made (CLOCK_MONOTONIC, the clock of tapes too):
	 * what a recording of svc:response can be checked against. */
	if (log_file)
		fprintf(log_file, "%ld %d %s %lld\n", req->id, status, req->route,
			(long long)now.tv_sec * 1000000000LL + now.tv_nsec);

	/*
	 * Building this argument costs a snprintf. TT_PROBE_ENABLED is a single compare and
	 * branch, true only while a tracer is attached to svc:request__dump, so the work is
	 * skipped entirely the rest of the time.
	 */
	if (TT_PROBE_ENABLED(svc, request__dump)) {
		char dump[160];

		snprintf(dump, sizeof(dump), "id=%ld route=%s status=%d bytes=%zu body=\"%s\"", req->id,
			 req->route, status, bytes, body);
		TT_PROBE(svc, request__dump, req->id, dump);
	}

	/* The end of the span, on this (worker) thread; the begin was on the main thread. */
	TT_SPAN_END(svc, request, req->id, status);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct request req;

		pthread_mutex_lock(&queue.lock);
		while (queue.count == 0 && !queue.done)
			pthread_cond_wait(&queue.changed, &queue.lock);
		if (queue.count == 0) { /* done and drained */
			pthread_mutex_unlock(&queue.lock);
			return NULL;
		}
		req = queue.items[queue.head];
		queue.head = (queue.head + 1) % QUEUE_LEN;
		queue.count--;
		pthread_cond_broadcast(&queue.changed);
		pthread_mutex_unlock(&queue.lock);
		handle(&req);
	}
}

static int parse_long(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < min || *v > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	long requests = 300;
	pthread_t thread;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--requests") && i + 1 < argc &&
		    !parse_long(argv[i + 1], 0, 10000000, &requests)) {
			i++;
		} else if (!strcmp(argv[i], "--sleep-us") && i + 1 < argc &&
			   !parse_long(argv[i + 1], 0, 1000000, &sleep_us)) {
			i++;
		} else if (!strcmp(argv[i], "--slow-every") && i + 1 < argc &&
			   !parse_long(argv[i + 1], 0, 10000000, &slow_every)) {
			i++;
		} else if (!strcmp(argv[i], "--slow-us") && i + 1 < argc &&
			   !parse_long(argv[i + 1], 0, 10000000, &slow_us)) {
			i++;
		} else if (!strcmp(argv[i], "--log") && i + 1 < argc && !log_file) {
			log_file = fopen(argv[++i], "w");
			if (!log_file) {
				fprintf(stderr, "%s: cannot create %s: %s\n", argv[0], argv[i],
					strerror(errno));
				return 1;
			}
			setvbuf(log_file, NULL, _IOLBF, 0); /* a line is in the file once written */
		} else {
			fprintf(stderr, "usage: %s [--requests N] [--sleep-us MICROSECONDS] "
					"[--slow-every N [--slow-us MICROSECONDS]] [--log FILE]\n",
				argv[0]);
			return 2;
		}
	}
	if (pthread_create(&thread, NULL, worker, NULL)) {
		fprintf(stderr, "%s: cannot start the worker thread\n", argv[0]);
		return 1;
	}
	for (long id = 1; id <= requests; id++) {
		struct request req = {.id = id, .route = routes[(id - 1) % 4]};

		clock_gettime(CLOCK_MONOTONIC, &req.start);
		/* The span begins here, on the main thread; its first argument is its id. */
		TT_SPAN_BEGIN(svc, request, req.id, req.route);

		pthread_mutex_lock(&queue.lock);
		while (queue.count == QUEUE_LEN)
			pthread_cond_wait(&queue.changed, &queue.lock);
		queue.items[queue.tail] = req;
		queue.tail = (queue.tail + 1) % QUEUE_LEN;
		queue.count++;
		pthread_cond_broadcast(&queue.changed);
		pthread_mutex_unlock(&queue.lock);
		pause_us(sleep_us);
	}
	pthread_mutex_lock(&queue.lock);
	queue.done = 1;
	pthread_cond_broadcast(&queue.changed);
	pthread_mutex_unlock(&queue.lock);
	pthread_join(thread, NULL);

	printf("requests %ld: %ld ok, %ld not found; cache %ld hits, %ld misses\n", requests, stats.ok,
	       stats.not_found, stats.hits, stats.misses);
	if (log_file && fclose(log_file) != 0) {
		fprintf(stderr, "%s: writing the log failed: %s\n", argv[0], strerror(errno));
		return 1;
	}
	return 0;
}

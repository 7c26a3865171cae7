/* SPDX-License-Identifier: MIT */
/* Unit tests of common/tt_out: the progress line of work of known (or unknown) size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_out.h"
#include "tt_test.h"

/* What tt_progress_bytes() prints with err a terminal (tty) or not; caller frees. */
static char *progress(int tty, uint64_t done, uint64_t total, uint64_t elapsed_ns, const char *more)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tt_out out = {.out = f, .err = f, .verbosity = TT_LVL_NOTICE, .prog = "t",
			     .err_is_tty = tty};

	assert_non_null(f);
	tt_progress_bytes(&out, "reading", done, total, elapsed_ns, more);
	fclose(f);
	return buf;
}

TT_TEST(out, progress_bytes_percent_and_time_left)
{
	char *s = progress(1, 1 << 20, 4 << 20, 1000000000ULL, NULL);

	/* a quarter in one second: three seconds left */
	assert_string_equal(s, "\r\033[Kreading:  25% of 4.0 MiB, 3.0 s left");
	free(s);
	s = progress(1, 3 << 20, 4 << 20, 1500000000ULL, "120000 events");
	assert_string_equal(s, "\r\033[Kreading:  75% of 4.0 MiB, 0.5 s left; 120000 events");
	free(s);
	/* nothing read yet: no time left can be told */
	s = progress(1, 0, 4 << 20, 1000000000ULL, NULL);
	assert_string_equal(s, "\r\033[Kreading: 0% of 4.0 MiB");
	free(s);
	/* a source that grew past its size at the start is at 100%, not beyond */
	s = progress(1, 5 << 20, 4 << 20, 1000000000ULL, NULL);
	assert_string_equal(s, "\r\033[Kreading: 100% of 4.0 MiB, 0.0 s left");
	free(s);
}

TT_TEST(out, progress_bytes_unknown_size)
{
	char *s = progress(1, 3 << 19, 0, 2000000000ULL, NULL);

	assert_string_equal(s, "\r\033[Kreading: 1.5 MiB read, 2.0 s");
	free(s);
}

TT_TEST(out, progress_bytes_units)
{
	char *s = progress(1, 500, 1000, 1000000000ULL, NULL);

	assert_string_equal(s, "\r\033[Kreading:  50% of 1000 B, 1.0 s left");
	free(s);
	s = progress(1, 1536, 0, 1000000000ULL, NULL);
	assert_string_equal(s, "\r\033[Kreading: 1.5 KiB read, 1.0 s");
	free(s);
	s = progress(1, 1ULL << 30, 3ULL << 30, 1000000000ULL, NULL);
	assert_string_equal(s, "\r\033[Kreading:  33% of 3.0 GiB, 2.0 s left");
	free(s);
}

TT_TEST(out, progress_bytes_only_on_a_terminal)
{
	char *s = progress(0, 1 << 20, 4 << 20, 1000000000ULL, NULL);

	assert_string_equal(s, "");
	free(s);
}

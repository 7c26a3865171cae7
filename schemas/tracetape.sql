-- SPDX-License-Identifier: MIT
--
-- The tracetape SQLite schema, version 3 (meta key 'schema_version'). Version 2: an argument that
-- could not be read is NULL (it was 0 or ''); a Go function's returns have their own view
-- (<provider>_<name>__return); arguments of kind 'cxxname' are stored demangled. Version 3:
-- frames.file and frames.line (source lines from DWARF), appended; a tape cached by an older
-- version is loaded again, and a ClickHouse database gets the columns on its next load.
--
-- `tracetape load` writes a database with these tables; anyone may read it with the sqlite3 shell
-- or any SQLite library, without tracetape. This file is the contract: it is embedded into the
-- tracetape binary at build time and executed as written, so its comments are the documentation
-- of every table and column. Besides these fixed tables, a load creates per database:
--
--   * one VIEW per probe name, called <provider>_<name> with every character that is not a
--     letter, a digit or '_' replaced by '_' (a leading digit gets a '_' in front; a name that is
--     already taken gets a suffix _2, _3, ...). Its columns: event_id, ts, ts_wall, tape, pid,
--     tid, cpu, goid, fault, truncated, then one column per probe argument named after the
--     argument (from the SDK's type note or the provider file; arg<i> when unknown; a name
--     equal to one of the columns before gets the suffix _arg). probes.view names it, and
--     probe_args.column_name the argument columns. The views of all probes of one name (in
--     several tapes) are one view. A Go function has two probes of one name, its entry
--     (kind 'go_entry': the arguments) and its returns ('go_return': the results, r0, r1, ...),
--     and so two views: <provider>_<name> has one row per call, <provider>_<name>__return one
--     per return (e.g. go_main_prepareAnswer and go_main_prepareAnswer__return; spans pairs them).
--   * one TABLE per recorded kernel tracepoint, called tp_<category>_<name> (sanitised the same
--     way): event_id (events.id), ts, tape, pid, tid, cpu, then one column per field of the
--     tracepoint's format (common_* fields excepted): integers as INTEGER (signedness as the
--     format says), char arrays and __data_loc strings as TEXT, other arrays as JSON text
--     ("[1,2,3]"), pointers as INTEGER, anything else as a BLOB. probes.view names it.
--
-- Conventions of every table:
--   * Times are integers in nanoseconds. Timestamps (ts, *_ts) are CLOCK_MONOTONIC of the
--     recording host, the clock of bpf_ktime_get_ns(). Wall-clock time is ts + tapes.wall_offset_ns
--     (nanoseconds since the Unix epoch); the views give it as ts_wall, and
--     strftime('%Y-%m-%d %H:%M:%f', ts_wall / 1e9, 'unixepoch') turns it into UTC text.
--   * Integers are SQLite INTEGER (64-bit signed): an unsigned 64-bit value above 2^63-1 is stored
--     as its two's complement (negative). Floating-point arguments are REAL, strings TEXT
--     (bytes that are not UTF-8 are kept as a BLOB).
--   * A value that could not be read (a NULL or unmapped pointer, a page the BPF program could
--     not fault in) is NULL, whatever its kind, in events.arg<i> and in the views; events.fault
--     has its bit set (replay and report print it as <fault>). So `WHERE x = ''` finds the empty
--     strings that were read, and `WHERE x IS NULL AND fault >> i & 1` the faults.
--   * An argument of kind 'cxxname' (a C++ mangled name, such as the type of an exception that
--     libstdc++'s throw, rethrow and catch probes give) is stored demangled, as libstdc++'s
--     __cxa_demangle() gives it: 'std::out_of_range' for St12out_of_range. A name that does not
--     demangle, or that was cut at the string limit (truncated), is stored as recorded.
--   * tape columns refer to tapes.id: several tapes (hosts, rotated files) load into one database.
--
-- Functions registered by tracetape in every connection, and by the loadable extension
-- (`.load PATH/tracetape_sqlite` in the sqlite3 shell): percentile(x, p), percentile_cont(x, p),
-- median(x), log2_bucket(x), log2_hist(x [, 'json'|'text']), normalize_query(sql) (constants
-- as $1, $2, ... like pg_stat_statements). See README.md.

-- Facts about the database and its tapes. Keys with tape NULL describe the database:
-- schema_version (this file's version, an integer), created_by (tracetape version),
-- created_wall_ns (when the load finished), span_rules (the --span options given),
-- spans_unmatched_ends (end events that found no open span: their start was before the capture
-- or lost), spans_open_peak (most spans open at once while loading), kernel_inferred_switch_ins
-- and kernel_unseen_switch_outs (see thread_states; with kernel data only), and warning (one row per
-- problem met while loading, e.g. a damaged tape). Keys with a tape
-- are that tape's own metadata, copied as recorded (host, kernel, boot_id, command, ...).
CREATE TABLE meta (
	tape INTEGER,           -- tapes.id, or NULL for facts about the whole database
	key TEXT NOT NULL,      -- see above
	value TEXT              -- always text; numbers in decimal
);

-- One row per tape loaded into this database.
CREATE TABLE tapes (
	id INTEGER PRIMARY KEY,  -- 1, 2, ... in the order given to `tracetape load`
	path TEXT NOT NULL,      -- the tape's path as given
	host TEXT,               -- meta 'host' of the tape (NULL when absent)
	boot_id TEXT,            -- meta 'boot_id': tapes of one boot share a monotonic clock
	capture INTEGER NOT NULL,-- tapes with the same host and boot id share a capture number and
	                         -- are paired into spans together (rotated files of one recording)
	file_bytes INTEGER,      -- size of the tape file, bytes
	events INTEGER NOT NULL, -- events loaded from this tape
	lost INTEGER NOT NULL,   -- events the recorder could not record (sum of losses.count)
	ts_first INTEGER,        -- first event timestamp, ns CLOCK_MONOTONIC (NULL: no events)
	ts_last INTEGER,         -- last event timestamp, ns CLOCK_MONOTONIC
	wall_offset_ns INTEGER,  -- add to a timestamp to get ns since the Unix epoch (from the
	                         -- tape's clock anchors at ts_first; NULL when it has none)
	status TEXT NOT NULL,    -- 'complete' (closed cleanly), 'unclosed' (no trailer: the
	                         -- recorder died; every whole block was loaded), 'truncated' (cut
	                         -- inside a block), 'damaged' (a damaged block stopped the load)
	warning TEXT             -- what went wrong, NULL for a complete tape
);

-- The probes of each tape: what events.probe_id refers to.
CREATE TABLE probes (
	id INTEGER PRIMARY KEY,       -- unique across the tapes of this database
	tape INTEGER NOT NULL,        -- tapes.id
	tape_probe_id INTEGER NOT NULL, -- the probe's id inside its tape
	kind TEXT NOT NULL,           -- what it is attached to: 'usdt', 'uprobe', 'go_entry',
	                              -- 'go_return', 'tracepoint', 'builtin' (tracetape's own
	                              -- process__fork/exec/exit events)
	provider TEXT NOT NULL,       -- USDT provider, tracepoint category, Go package, 'tracetape'
	name TEXT NOT NULL,           -- probe name, tracepoint name or function name
	binary TEXT,                  -- path of the ELF file (NULL for tracepoints)
	build_id TEXT,                -- hex GNU build id of binary (NULL when absent)
	arg_specs TEXT,               -- the stapsdt argument string of the first site (USDT)
	argc INTEGER NOT NULL,        -- number of arguments, 0..12
	arg_names TEXT NOT NULL,      -- JSON array of the argument names (null where unknown)
	arg_kinds TEXT NOT NULL,      -- JSON array of the argument kinds (see probe_args.kind)
	events INTEGER NOT NULL,      -- events of this probe in the events table
	view TEXT                     -- name of the probe's view (or tp_ table for a tracepoint)
);

-- One row per argument of each probe.
CREATE TABLE probe_args (
	probe_id INTEGER NOT NULL,    -- probes.id
	idx INTEGER NOT NULL,         -- 0..11: the argument is events.arg<idx>
	name TEXT,                    -- from the type note or provider file; NULL when unknown
	kind TEXT NOT NULL,           -- 'u8'..'u64', 's8'..'s64', 'any8'..'any64' (an integer of
	                              -- unknown sign), 'f32', 'f64', 'ptr', 'str', 'bytes',
	                              -- 'cxxname' (a C++ mangled name, stored demangled)
	column_name TEXT NOT NULL,    -- the argument's column in the probe's view
	PRIMARY KEY (probe_id, idx)
) WITHOUT ROWID;

-- Every recorded event, in timestamp order (events of all tapes merged by ts).
CREATE TABLE events (
	id INTEGER PRIMARY KEY,       -- 1, 2, ... in (ts, cpu, seq) order
	ts INTEGER NOT NULL,          -- ns CLOCK_MONOTONIC when the probe fired
	tape INTEGER NOT NULL,        -- tapes.id
	probe_id INTEGER NOT NULL,    -- probes.id
	pid INTEGER NOT NULL,         -- process (TGID) in the initial pid namespace
	tid INTEGER NOT NULL,         -- thread id
	cpu INTEGER NOT NULL,         -- CPU the probe fired on
	goid INTEGER,                 -- goroutine id (Go probes); NULL elsewhere
	fault INTEGER NOT NULL,       -- bit i set: argument i could not be read (arg<i> is NULL)
	truncated INTEGER NOT NULL,   -- bit i set: string argument i was cut at the string limit
	arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9, arg10, arg11
	                              -- the arguments, typed by the probe's kinds: INTEGER for
	                              -- integers and pointers, REAL for floats, TEXT for strings
	                              -- (C++ mangled names demangled); NULL when it could not be
	                              -- read (fault) and past the probe's argc. A tracepoint's
	                              -- record is decoded into its tp_ table instead (arg0 is NULL
	                              -- there, or the raw record as a BLOB when its format text is
	                              -- missing).
);

-- Loss is data: events that fired but could not be recorded.
CREATE TABLE losses (
	id INTEGER PRIMARY KEY,
	tape INTEGER NOT NULL,        -- tapes.id
	cpu INTEGER NOT NULL,         -- CPU the events were lost on
	probe_id INTEGER,             -- probes.id; NULL when the recorder did not know the probe
	ts_start INTEGER NOT NULL,    -- ns CLOCK_MONOTONIC: the window in which they were lost
	ts_end INTEGER NOT NULL,
	count INTEGER NOT NULL        -- events lost
);

-- Spans built at load time by pairing start and end events (README.md "Spans"):
--   X__begin / X__end whose first argument is an integer: by (process, that id), across
--   threads (pairing 'id'); X__begin / X__end without one, X__start / X__done and
--   X__entry / X__return: by thread, as a stack (pairing 'thread'); Go functions: by goroutine,
--   as a stack (pairing 'goroutine'); `--span NAME=START,END[,key=ARG]` rules (pairing 'custom').
-- Spans never closed are kept with end_ts, dur and end_* NULL, and unclosed saying why.
CREATE TABLE spans (
	id INTEGER PRIMARY KEY,       -- in start order (ties: event order)
	provider TEXT NOT NULL,       -- provider of the start probe ('' for --span rules; a
	                              -- provider file's span rule: its provider)
	name TEXT NOT NULL,           -- X for X__begin/X__end; the function for Go; NAME of --span
	pairing TEXT NOT NULL,        -- 'id', 'thread', 'goroutine' or 'custom'
	tape INTEGER NOT NULL,        -- tapes.id of the start event
	pid INTEGER NOT NULL,         -- process
	tid INTEGER NOT NULL,         -- thread of the start event
	end_tid INTEGER,              -- thread of the end event (differs from tid for cross-thread spans)
	goid INTEGER,                 -- goroutine (Go spans); NULL elsewhere
	cpu INTEGER NOT NULL,         -- CPU of the start event
	end_cpu INTEGER,              -- CPU of the end event
	start_ts INTEGER NOT NULL,    -- ns CLOCK_MONOTONIC of the start event
	end_ts INTEGER,               -- ns CLOCK_MONOTONIC of the end event; NULL when never closed
	dur INTEGER,                  -- end_ts - start_ts, ns; NULL when never closed
	depth INTEGER NOT NULL,       -- 0 for an outermost span; 1 + parent's depth when nested
	parent_id INTEGER,            -- spans.id of the enclosing span on the same thread or
	                              -- goroutine (stack pairings); NULL at depth 0 and for 'id' spans
	begin_event_id INTEGER NOT NULL, -- events.id of the start event
	end_event_id INTEGER,         -- events.id of the end event
	begin_probe_id INTEGER NOT NULL, -- probes.id of the start probe
	end_probe_id INTEGER,         -- probes.id of the end probe
	key,                          -- what paired it: the span id ('id'), the key=ARG value
	                              -- ('custom' with key); NULL for stack pairings
	lost INTEGER NOT NULL,        -- 1 when a loss window overlaps the span's window (open spans:
	                              -- up to the end of the capture) on its start or end CPU, or of
	                              -- its start or end probe, or of an unknown probe: its duration,
	                              -- or its nesting, may be wrong; 0 otherwise
	unclosed TEXT                 -- NULL for a closed span; else why it has no end:
	                              -- 'capture_end' (still open when the capture ended),
	                              -- 'process_exit' (its process exited, tracetape:process__exit),
	                              -- 'exec' (its process exec'd another program),
	                              -- 'id_reused' (a new start with the same id came first)
);

-- Processes seen: from the tape's process table and tracetape's own fork/exec/exit events.
CREATE TABLE processes (
	id INTEGER PRIMARY KEY,
	tape INTEGER NOT NULL,        -- tapes.id
	pid INTEGER NOT NULL,
	ppid INTEGER,                 -- parent pid (NULL when unknown)
	comm TEXT,                    -- command name (the latest seen)
	exe TEXT,                     -- executable path
	cmdline TEXT,                 -- command line, arguments separated by spaces
	fork_ts INTEGER,              -- ns CLOCK_MONOTONIC of tracetape:process__fork creating it
	exec_ts INTEGER,              -- ns of its last tracetape:process__exec
	exit_ts INTEGER,              -- ns of tracetape:process__exit
	exit_status INTEGER,          -- exit status (process__exit's status argument)
	exit_signal INTEGER           -- terminating signal, 0 for a normal exit
);

-- Threads seen in events, with the span of time they were seen in.
CREATE TABLE threads (
	tape INTEGER NOT NULL,        -- tapes.id
	pid INTEGER NOT NULL,
	tid INTEGER NOT NULL,
	first_ts INTEGER NOT NULL,    -- ns CLOCK_MONOTONIC of its first event
	last_ts INTEGER NOT NULL,     -- ns of its last event
	first_event_id INTEGER NOT NULL, -- events.id of its first event
	last_event_id INTEGER NOT NULL,  -- events.id of its last event: a thread's latest events are
	                              -- found scanning back from there (WHERE id <= last_event_id
	                              -- AND tid = ... ORDER BY id DESC), without an index
	events INTEGER NOT NULL,      -- number of its events
	PRIMARY KEY (tape, pid, tid)
) WITHOUT ROWID;

-- What the kernel did with each thread, derived while loading from the scheduler tracepoints
-- (`tracetape record --sched`: sched:sched_switch, sched_wakeup, sched_wakeup_new,
-- sched_process_fork, sched_process_exit); empty without them. Per thread (tid within a
-- capture), back-to-back intervals, each ended by the next change:
--   switch-out (sched_switch prev_pid): prev_state 0 'R' or preempted 'R+' (bit 0x100) ->
--     'runnable'; 'D' (0x2) -> 'blocked' (uninterruptible: usually I/O); 'S' (0x1) and the other
--     waits ('I' idle, 'T'/'t' stopped, 'P' parked) -> 'sleeping'; 'X'/'Z' (dead) -> no more rows;
--   sleeping or blocked, then sched_wakeup -> 'runnable' until the switch-in;
--   sched_wakeup_new -> 'runnable' (a new thread);
--   switch-in (sched_switch next_pid) -> 'running' until the switch-out;
--   sched_process_exit, then no 'X'/'Z' switch-out recorded (a pid filter stops at the exit) ->
--     the last interval ends at the exit;
--   any other event with the thread as the current task (a syscall, a wakeup it makes, a fork)
--     while it was not running -> 'running' from there, reason 'inferred': its switch-in was not
--     recorded (the kernel skips a BPF program on a CPU where another one is still running; the
--     syscall tracepoints' programs can be preempted, so recording --syscalls loses some);
--   a running thread switched in again, or whose CPU switches out or shows another thread, or
--     seen on another CPU: its switch-out was not recorded; its running interval ends at its
--     latest event, and no row covers the time until its next one.
-- meta 'kernel_inferred_switch_ins' and 'kernel_unseen_switch_outs' count those two repairs.
-- A thread's time before its first recorded scheduler event is not covered; intervals of zero
-- length are not written. Threads of the idle task (tid 0) are not tracked. With -p or
-- -- COMMAND, the traced processes' threads are covered; other threads appear only in the
-- switches and wakeups that involve a traced one, so their rows are partial. A system-wide
-- capture leaves out the recorder's own switches (handled as unrecorded switches, above).
CREATE TABLE thread_states (
	id INTEGER PRIMARY KEY,
	tape INTEGER NOT NULL,        -- tapes.id of the event that began the interval
	pid INTEGER,                  -- process (TGID); NULL when no event of the thread was
	                              -- recorded with it as the current task
	tid INTEGER NOT NULL,         -- thread
	state TEXT NOT NULL,          -- 'running', 'runnable', 'sleeping' or 'blocked'
	start_ts INTEGER NOT NULL,    -- ns CLOCK_MONOTONIC: the event that began it
	end_ts INTEGER,               -- ns CLOCK_MONOTONIC: the event that ended it; NULL when the
	                              -- thread was still in that state when the capture ended
	dur INTEGER,                  -- end_ts - start_ts, ns; NULL with end_ts
	cpu INTEGER,                  -- running: its CPU; runnable after a wakeup: the CPU it was
	                              -- woken to (target_cpu); after a switch-out: the CPU it left
	reason TEXT,                  -- after a switch-out: prev_state as the kernel prints it ('S',
	                              -- 'D', 'R+', 'I', 'S|D', ...); after a wakeup: 'wakeup' or
	                              -- 'wakeup_new'; running: NULL, or 'inferred' (see above)
	waker_tid INTEGER,            -- runnable after a wakeup: the thread that woke it (0: an
	                              -- interrupt on an idle CPU); NULL otherwise
	begin_event_id INTEGER NOT NULL, -- events.id of the event that began it
	end_event_id INTEGER          -- events.id of the event that ended it (NULL with end_ts)
);

-- System calls, paired while loading from raw_syscalls:sys_enter and sys_exit per thread
-- (`tracetape record --syscalls`); empty without them. Unpaired records are kept: a sys_enter
-- without sys_exit (exit and exit_group never return; the capture ended, the exit was lost, or
-- the thread made another call first) has the exit columns NULL; a sys_exit without sys_enter
-- (the capture began inside the call, or the new thread or process of a clone, fork or vfork,
-- which returns from a call it did not enter) has the enter columns NULL. execve's sys_exit
-- comes from the new program, on the same thread: it pairs.
CREATE TABLE syscalls (
	id INTEGER PRIMARY KEY,
	tape INTEGER NOT NULL,        -- tapes.id of its first record
	pid INTEGER NOT NULL,         -- process (TGID)
	tid INTEGER NOT NULL,         -- thread
	nr INTEGER NOT NULL,          -- syscall number (raw_syscalls id: the x86-64 table for 64-bit
	                              -- tasks; a 32-bit task's calls carry i386 numbers)
	name TEXT,                    -- name of nr in the x86-64 table ('read', 'nanosleep', ...),
	                              -- NULL for a number it does not have
	arg0 INTEGER, arg1 INTEGER, arg2 INTEGER, arg3 INTEGER, arg4 INTEGER, arg5 INTEGER,
	                              -- the argument registers (rdi, rsi, rdx, r10, r8, r9) as
	                              -- recorded: raw 64-bit values, pointers as addresses (values
	                              -- above 2^63-1 negative); NULL without sys_enter
	ret INTEGER,                  -- return value (a negative errno on failure); NULL without sys_exit
	start_ts INTEGER,             -- ns CLOCK_MONOTONIC of sys_enter; NULL without it
	end_ts INTEGER,               -- ns CLOCK_MONOTONIC of sys_exit; NULL without it
	dur INTEGER,                  -- end_ts - start_ts, ns: time in the kernel for the call,
	                              -- sleeping included; NULL unless both
	enter_event_id INTEGER,       -- events.id of sys_enter
	exit_event_id INTEGER         -- events.id of sys_exit
);

-- Call stacks (record --stack PROBE_GLOB): each distinct stack of a tape once. Frames are
-- symbolized when the database is made, from the files the traced processes mapped (the same
-- path on the loading machine, checked against the recorded build id; a stripped file's
-- symbols come from its debug file under /usr/lib/debug/.build-id/). A file that is missing or
-- of another build leaves its frames with module and offset and a NULL symbol.
CREATE TABLE stacks (
	id INTEGER PRIMARY KEY,
	tape INTEGER NOT NULL,        -- tapes.id
	depth INTEGER NOT NULL,       -- frames
	folded TEXT NOT NULL          -- the frames outermost first, ';'-separated: symbol, or 0x<offset>
	                              -- where there is none (the flame-graph "folded" form)
);

CREATE TABLE frames (
	stack_id INTEGER NOT NULL,    -- stacks.id
	depth INTEGER NOT NULL,       -- 0: the probed instruction; 1: its caller's return address; ...
	module TEXT,                  -- the file, as the process mapped it; NULL: an address in no file
	                              -- (JIT code, or the process was gone before its maps were read)
	build_id TEXT,                -- the file's GNU build id (hex), as recorded
	offset INTEGER NOT NULL,      -- offset in the file (the absolute address when module is NULL)
	symbol TEXT,                  -- the function (C++ demangled); NULL when it cannot be named
	sym_offset INTEGER,           -- bytes from the function's start
	file TEXT,                    -- the source file, as the DWARF line table names it (from the
	                              -- file built with -g or its debug file); NULL when unknown
	line INTEGER,                 -- its line: of the probed instruction at depth 0, of the call
	                              -- at the others (as gdb and perf say); NULL when unknown
	PRIMARY KEY (stack_id, depth)
) WITHOUT ROWID;

-- Which events have a stack (only those of the probes recorded with --stack).
CREATE TABLE event_stacks (
	event_id INTEGER PRIMARY KEY, -- events.id
	stack_id INTEGER NOT NULL     -- stacks.id
);

-- Tail capture (record --keep): the counters of every span a --keep rule watched, kept or not,
-- per tape (a rotated recording: sum over its tapes). Only the kept spans (and their threads'
-- events inside their windows) are in spans and events; these say how many there were in all.
-- seen = kept + dropped; kept counts the spans over the rule's threshold and those that ended
-- without their end event (unclosed: still open at the end, process exit, id reused).
CREATE TABLE keep_spans (
	tape INTEGER NOT NULL,        -- tapes.id
	provider TEXT NOT NULL,       -- as spans.provider ('' for none)
	name TEXT NOT NULL,           -- as spans.name
	seen INTEGER NOT NULL,        -- spans that ended while recording
	kept INTEGER NOT NULL,        -- written to the tape
	dropped INTEGER NOT NULL,     -- within the threshold: left out
	unclosed INTEGER NOT NULL,    -- kept without an end (not in keep_hist)
	PRIMARY KEY (tape, provider, name)
);

-- The durations of every closed span of keep_spans, kept and dropped, as a log-linear histogram:
-- below 64 ns one bucket per nanosecond, above 32 buckets per power of two, so a bucket is at
-- most 1/32 of its lower bound wide and its middle within 1.6 % of every duration in it (the
-- error of a percentile taken from it). Buckets without spans have no row.
CREATE TABLE keep_hist (
	tape INTEGER NOT NULL,
	provider TEXT NOT NULL,
	name TEXT NOT NULL,
	bucket INTEGER NOT NULL,      -- the bucket's index (schemas/tape_keep.h)
	lo_ns INTEGER NOT NULL,       -- its smallest duration
	hi_ns INTEGER NOT NULL,       -- one past its largest
	count INTEGER NOT NULL,
	PRIMARY KEY (tape, provider, name, bucket)
) WITHOUT ROWID;

-- Events with their probe's names and wall-clock time: the convenient way to browse.
CREATE VIEW events_named AS
	SELECT e.id, e.ts, e.ts + t.wall_offset_ns AS ts_wall, e.tape, p.provider, p.name,
	       e.pid, e.tid, e.cpu, e.goid, e.fault, e.truncated,
	       e.arg0, e.arg1, e.arg2, e.arg3, e.arg4, e.arg5,
	       e.arg6, e.arg7, e.arg8, e.arg9, e.arg10, e.arg11
	FROM events e JOIN probes p ON p.id = e.probe_id JOIN tapes t ON t.id = e.tape;

-- @@indexes: built after the bulk insert (one sort each instead of a B-tree update per row).
-- One statement per line. Kept few on purpose: each costs a sort of its table at load time
-- (an index on spans (name, dur) would cost as much as the one on events and save little: a
-- pass over spans is fast). events.id is in time order, so (probe_id) also gives a probe's
-- events in time order (ORDER BY id); the views use it.
CREATE INDEX events_probe ON events (probe_id);
CREATE INDEX spans_unclosed ON spans (unclosed, start_ts) WHERE unclosed IS NOT NULL;
CREATE INDEX losses_ts ON losses (tape, ts_start);
CREATE INDEX thread_states_tid ON thread_states (tid, start_ts);
CREATE INDEX syscalls_tid ON syscalls (tid, start_ts);

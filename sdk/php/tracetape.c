/* SPDX-License-Identifier: MIT */
/*
 * tracetape's PHP extension: probes that PHP code names and fires, recorded by tracetape (or
 * any USDT tool) and free while nobody records them.
 *
 *     tracetape_probe('cache_miss', $key, $bytes);            // an instant named cache_miss
 *     if (tracetape_enabled('checkout'))                       // one semaphore check
 *             tracetape_probe('checkout', cart_summary($cart));
 *     tracetape_span_begin('payment', $order_id, provider: 'acme');
 *     tracetape_span_end('payment', $order_id, status: 'ok');
 *     $rows = tracetape_span('db_query', fn () => $db->query($sql), sql: $sql);
 *
 * PHP chooses names and value types at run time, and a USDT probe is fixed at build time. So
 * the extension carries three USDT probes of the C SDK (<tracetape/probe.h>), phpapp:probe,
 * phpapp:span__begin and phpapp:span__end, which take the name, a word of value kinds and up
 * to ten values, as <tracetape/dynamic.h> and schemas/DYNAMIC_PROBES.md specify; the recorder
 * turns each name into a probe of its own. Strings travel as the zend_string itself (its
 * length and bytes are where a counted object of the wire has them), integers and floats in
 * small objects on the stack.
 *
 * Off means off: while no tracer attaches, a call reads the shared semaphore and checks its
 * arguments' count and the name's type (a few loads, so that a wrong call fails the same way
 * traced or not), and returns. Only a traced call looks at the values.
 *
 * Tracing never changes what the program does: values of types the API does not take (arrays,
 * objects, resources) are recorded as the name of their type or class, never an error; the
 * errors (no name, an empty one, too many values, a span id that is neither int nor string)
 * are raised whether or not a tracer listens.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "php.h"
#include "ext/standard/info.h"
#include "zend_exceptions.h"

#include <tracetape/dynamic.h>
#include <tracetape/probe.h>

#include "php_tracetape.h"

/* The wire takes a zend_string as a counted object as it is: the offsets must agree. */
_Static_assert(offsetof(zend_string, len) == TT_DYN_OBJ_LEN_OFF, "zend_string's length offset");
_Static_assert(offsetof(zend_string, val) == TT_DYN_OBJ_DATA_OFF, "zend_string's bytes offset");
_Static_assert(sizeof(zend_long) == 8 && sizeof(double) == 8, "64-bit integers and doubles");

/* While some tracer traces any of the three probes in this process. */
#define TT_ON() TT_SEMA_ENABLED(phpapp, probe)

enum op { OP_PROBE, OP_BEGIN, OP_END };

/*
 * The name object when values are named: the name, then NUL and each value's name (empty for
 * a positional value). 1024 bytes: no recorder keeps more of a string (--strlen).
 */
#define NAMES_MAX 1024
struct names_obj {
	uint64_t gc, hash, len;
	char data[NAMES_MAX];
};

/* The values of one call, in order: a span's id first, then positional, then named ones. */
struct call {
	uint32_t n;
	int named; /* some value has a name (a span's id is called "id") */
	const zval *v[TT_DYN_VALUES_MAX];
	const zend_string *key[TT_DYN_VALUES_MAX]; /* NULL: positional */
	const char *key_lit[TT_DYN_VALUES_MAX];    /* a literal name instead of key, or NULL */
};

static const struct tt_dyn_obj unknown_type = {0, 0, 7, {'u', 'n', 'k', 'n', 'o', 'w', 'n', 0}};

/* Span ids of tracetape_span(): 1, 2, 3... in this process. */
static uint64_t span_seq;

static void names_add(struct names_obj *o, const char *s, size_t len)
{
	size_t room = NAMES_MAX - o->len;

	if (len > room)
		len = room;
	memcpy(o->data + o->len, s, len);
	o->len += len;
}

/*
 * Fire carrier op with name and the values of c. Kept out of line: the callers' untraced path
 * stays a semaphore check and a return.
 */
static ZEND_COLD void fire(enum op op, const zend_string *name, const struct call *c)
{
	struct tt_dyn_obj num[TT_DYN_VALUES_MAX];
	const void *p[TT_DYN_VALUES_MAX] = {0};
	unsigned long long kinds = TT_DYN_KINDS(c->n);
	const void *name_obj = name;
	struct names_obj names;

	for (uint32_t i = 0; i < c->n; i++) {
		const zval *z = c->v[i];
		unsigned k = TT_DYN_K_STRING;

		ZVAL_DEREF(z);
		switch (Z_TYPE_P(z)) {
		case IS_NULL:
			k = TT_DYN_K_NULL;
			break;
		case IS_FALSE:
			k = TT_DYN_K_FALSE;
			break;
		case IS_TRUE:
			k = TT_DYN_K_TRUE;
			break;
		case IS_LONG:
			k = TT_DYN_K_INT;
			num[i].len = 8;
			memcpy(num[i].data, &Z_LVAL_P(z), 8); /* x86-64: little-endian already */
			p[i] = &num[i];
			break;
		case IS_DOUBLE:
			k = TT_DYN_K_FLOAT;
			num[i].len = 8;
			memcpy(num[i].data, &Z_DVAL_P(z), 8);
			p[i] = &num[i];
			break;
		case IS_STRING:
			p[i] = Z_STR_P(z);
			break;
		/* Not what the API takes: recorded as what they are, never an error. */
		case IS_ARRAY:
			p[i] = ZSTR_KNOWN(ZEND_STR_ARRAY);
			break;
		case IS_OBJECT:
			p[i] = Z_OBJCE_P(z)->name;
			break;
		case IS_RESOURCE:
			p[i] = ZSTR_KNOWN(ZEND_STR_RESOURCE);
			break;
		default:
			p[i] = &unknown_type;
			break;
		}
		kinds |= (unsigned long long)k << TT_DYN_KIND_SHIFT(i);
	}
	if (c->named) {
		/* A name ends at its first NUL, as the recorder reads it without value names. */
		const char *nm = ZSTR_VAL(name);

		names.len = 0;
		names_add(&names, nm, strnlen(nm, ZSTR_LEN(name)));
		for (uint32_t i = 0; i < c->n; i++) {
			names_add(&names, "", 1);
			if (c->key_lit[i])
				names_add(&names, c->key_lit[i], strlen(c->key_lit[i]));
			else if (c->key[i])
				names_add(&names, ZSTR_VAL(c->key[i]), ZSTR_LEN(c->key[i]));
		}
		name_obj = &names;
		kinds |= TT_DYN_F_ARGNAMES;
	}
	switch (op) {
	case OP_PROBE:
		TT_PROBE_EXPLICIT(phpapp, probe, probe, TT_DYN_ARG_NAMES, name_obj, kinds, p[0], p[1],
				  p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
		break;
	case OP_BEGIN:
		TT_PROBE_EXPLICIT(phpapp, span__begin, probe, TT_DYN_ARG_NAMES, name_obj, kinds, p[0],
				  p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
		break;
	case OP_END:
		TT_PROBE_EXPLICIT(phpapp, span__end, probe, TT_DYN_ARG_NAMES, name_obj, kinds, p[0],
				  p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
		break;
	}
}

/* Append positional values vals[0, n) and the named ones to c. */
static void call_add(struct call *c, const zval *vals, uint32_t n, HashTable *named)
{
	zend_string *key;
	zval *val;

	for (uint32_t i = 0; i < n && c->n < TT_DYN_VALUES_MAX; i++)
		c->v[c->n++] = &vals[i];
	if (!named)
		return;
	ZEND_HASH_FOREACH_STR_KEY_VAL(named, key, val) {
		if (c->n == TT_DYN_VALUES_MAX)
			break;
		c->key[c->n] = key;
		c->v[c->n++] = val;
		c->named = 1;
	} ZEND_HASH_FOREACH_END();
}

/* The values a call passes (positional and named), past the first `fixed` arguments. */
static zend_always_inline uint32_t value_cnt(zend_execute_data *execute_data, uint32_t fixed)
{
	uint32_t n = ZEND_NUM_ARGS() - fixed;

	if (UNEXPECTED(ZEND_CALL_INFO(execute_data) & ZEND_CALL_HAS_EXTRA_NAMED_PARAMS))
		n += zend_hash_num_elements(execute_data->extra_named_params);
	return n;
}

/*
 * Would a call with these arguments pass the checks below: at least `fixed` arguments, a
 * non-empty string name, at most max values, and (spans) an int or string id? The untraced
 * path returns at once when it would, and only a call that fails (or needs coercion) goes
 * through the parser, which raises the same errors traced or not.
 */
static zend_always_inline bool fast_ok(zend_execute_data *execute_data, uint32_t fixed,
				       uint32_t max)
{
	const zval *name = ZEND_CALL_ARG(execute_data, 1);

	if (ZEND_NUM_ARGS() < fixed || Z_TYPE_P(name) != IS_STRING || !Z_STRLEN_P(name))
		return false;
	if (fixed == 2) {
		const zval *id = ZEND_CALL_ARG(execute_data, 2);

		if (Z_TYPE_P(id) != IS_LONG && Z_TYPE_P(id) != IS_STRING)
			return false;
	}
	return value_cnt(execute_data, fixed) <= max;
}

static bool check_name(const zend_string *name)
{
	if (ZSTR_LEN(name))
		return true;
	zend_argument_value_error(1, "must not be empty");
	return false;
}

static bool check_count(uint32_t n, uint32_t max)
{
	if (n <= max)
		return true;
	zend_argument_count_error("%s() takes at most %u values, %u given",
				  get_active_function_name(), max, n);
	return false;
}

/*
 * tracetape_probe() past its untraced fast path: the checks through the parser, then the
 * probe. Out of line, so that the fast path does not set up this frame (its struct call).
 */
static ZEND_COLD zend_never_inline void probe_slow(INTERNAL_FUNCTION_PARAMETERS)
{
	struct call c = {0};
	zend_string *name;
	zval *vals;
	uint32_t n;
	HashTable *named;

	ZEND_PARSE_PARAMETERS_START(1, -1)
		Z_PARAM_STR(name)
		Z_PARAM_VARIADIC_WITH_NAMED(vals, n, named)
	ZEND_PARSE_PARAMETERS_END();
	if (!check_name(name) || !check_count(value_cnt(execute_data, 1), TT_DYN_VALUES_MAX))
		RETURN_THROWS();
	if (!TT_ON())
		return;
	call_add(&c, vals, n, named);
	fire(OP_PROBE, name, &c);
}

/* {{{ tracetape_probe(string $name, int|float|string|bool|null ...$args): void */
PHP_FUNCTION(tracetape_probe)
{
	if (EXPECTED(!TT_ON()) && EXPECTED(fast_ok(execute_data, 1, TT_DYN_VALUES_MAX)))
		return;
	probe_slow(INTERNAL_FUNCTION_PARAM_PASSTHRU);
}
/* }}} */

/* {{{ tracetape_enabled(?string $name = null): bool */
PHP_FUNCTION(tracetape_enabled)
{
	zend_string *name = NULL;

	if (EXPECTED(ZEND_NUM_ARGS() == 0) ||
	    (ZEND_NUM_ARGS() == 1 && Z_TYPE_P(ZEND_CALL_ARG(execute_data, 1)) == IS_STRING))
		RETURN_BOOL(TT_ON());
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(name)
	ZEND_PARSE_PARAMETERS_END();
	(void)name; /* every name shares the semaphore: see README.md */
	RETURN_BOOL(TT_ON());
}
/* }}} */

/* tracetape_span_begin() and tracetape_span_end() past their fast path (as probe_slow()). */
static ZEND_COLD zend_never_inline void span_slow(INTERNAL_FUNCTION_PARAMETERS, enum op op)
{
	struct call c = {.named = 1, .key_lit = {"id"}};
	zend_string *name, *id_str = NULL;
	zend_long id_long = 0;
	zval *vals, id;
	uint32_t n;
	HashTable *named;

	ZEND_PARSE_PARAMETERS_START(2, -1)
		Z_PARAM_STR(name)
		Z_PARAM_STR_OR_LONG(id_str, id_long)
		Z_PARAM_VARIADIC_WITH_NAMED(vals, n, named)
	ZEND_PARSE_PARAMETERS_END();
	if (!check_name(name) || !check_count(value_cnt(execute_data, 2), TT_DYN_VALUES_MAX - 1))
		RETURN_THROWS();
	if (!TT_ON())
		return;
	if (id_str)
		ZVAL_STR(&id, id_str); /* borrowed from the argument, which outlives the call */
	else
		ZVAL_LONG(&id, id_long);
	c.v[c.n++] = &id;
	call_add(&c, vals, n, named);
	fire(op, name, &c);
}

/* {{{ tracetape_span_begin(string $name, int|string $id, int|float|string|bool|null ...$args): void */
PHP_FUNCTION(tracetape_span_begin)
{
	if (EXPECTED(!TT_ON()) && EXPECTED(fast_ok(execute_data, 2, TT_DYN_VALUES_MAX - 1)))
		return;
	span_slow(INTERNAL_FUNCTION_PARAM_PASSTHRU, OP_BEGIN);
}
/* }}} */

/* {{{ tracetape_span_end(string $name, int|string $id, int|float|string|bool|null ...$args): void */
PHP_FUNCTION(tracetape_span_end)
{
	if (EXPECTED(!TT_ON()) && EXPECTED(fast_ok(execute_data, 2, TT_DYN_VALUES_MAX - 1)))
		return;
	span_slow(INTERNAL_FUNCTION_PARAM_PASSTHRU, OP_END);
}
/* }}} */

/* {{{ tracetape_span(string $name, callable $fn, int|float|string|bool|null ...$args): mixed */
PHP_FUNCTION(tracetape_span)
{
	struct call c = {.named = 1, .key_lit = {"id"}};
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	zend_string *name;
	zval *vals, id, retval;
	uint32_t n;
	HashTable *named;
	int traced;

	ZEND_PARSE_PARAMETERS_START(2, -1)
		Z_PARAM_STR(name)
		Z_PARAM_FUNC(fci, fcc)
		Z_PARAM_VARIADIC_WITH_NAMED(vals, n, named)
	ZEND_PARSE_PARAMETERS_END();
	if (!check_name(name) || !check_count(value_cnt(execute_data, 2), TT_DYN_VALUES_MAX - 1))
		RETURN_THROWS();
	traced = TT_ON();
	if (traced) {
		ZVAL_LONG(&id, (zend_long)__atomic_add_fetch(&span_seq, 1, __ATOMIC_RELAXED));
		c.v[c.n++] = &id;
		call_add(&c, vals, n, named);
		fire(OP_BEGIN, name, &c);
	}
	fci.retval = &retval;
	ZVAL_UNDEF(&retval);
	zend_call_function(&fci, &fcc);
	if (traced) {
		/* the end of the span, also when $fn threw */
		struct call e = {.n = 1, .named = 1, .v = {&id}, .key_lit = {"id"}};

		fire(OP_END, name, &e);
	}
	if (Z_TYPE(retval) != IS_UNDEF)
		ZVAL_COPY_VALUE(return_value, &retval);
}
/* }}} */

PHP_MINFO_FUNCTION(tracetape)
{
	php_info_print_table_start();
	php_info_print_table_row(2, "tracetape probes", "enabled");
	php_info_print_table_row(2, "version", PHP_TRACETAPE_VERSION);
	php_info_print_table_row(2, "USDT provider", "phpapp (probe, span__begin, span__end)");
	php_info_print_table_row(2, "traced now", TT_ON() ? "yes" : "no");
	php_info_print_table_end();
}

/* int|float|string|bool|null, for the variadic values */
#define VALUE_MASK (MAY_BE_LONG | MAY_BE_DOUBLE | MAY_BE_STRING | MAY_BE_BOOL | MAY_BE_NULL)
#define VARIADIC_VALUES \
	{"args", ZEND_TYPE_INIT_MASK(VALUE_MASK | _ZEND_ARG_INFO_FLAGS(0, 1, 0)), NULL},

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_tracetape_probe, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	VARIADIC_VALUES
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_tracetape_enabled, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, name, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_tracetape_span_edge, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_MASK(0, id, MAY_BE_LONG | MAY_BE_STRING, NULL)
	VARIADIC_VALUES
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_tracetape_span, 0, 2, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	VARIADIC_VALUES
ZEND_END_ARG_INFO()

static const zend_function_entry tracetape_functions[] = {
	PHP_FE(tracetape_probe, arginfo_tracetape_probe)
	PHP_FE(tracetape_enabled, arginfo_tracetape_enabled)
	PHP_FE(tracetape_span_begin, arginfo_tracetape_span_edge)
	PHP_FE(tracetape_span_end, arginfo_tracetape_span_edge)
	PHP_FE(tracetape_span, arginfo_tracetape_span)
	PHP_FE_END
};

zend_module_entry tracetape_module_entry = {
	STANDARD_MODULE_HEADER,
	"tracetape",
	tracetape_functions,
	NULL, /* MINIT */
	NULL, /* MSHUTDOWN */
	NULL, /* RINIT */
	NULL, /* RSHUTDOWN */
	PHP_MINFO(tracetape),
	PHP_TRACETAPE_VERSION,
	STANDARD_MODULE_PROPERTIES,
};

#ifdef COMPILE_DL_TRACETAPE
ZEND_GET_MODULE(tracetape)
#endif

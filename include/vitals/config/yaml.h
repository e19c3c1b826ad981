/*
 * The YAML half of the configuration loader, kept apart from the key tables
 * so that config.c reads as a description of the file and nothing else.
 * The rest of the daemon only sees the checked struct vt_config from
 * config.h; the emulator's scenario reader (scenario.h) walks its own files
 * with it, so that both report errors the same way.
 *
 * It walks libyaml's document tree (every node keeps its position), checks
 * mappings against key tables in the netplan/Redis style, and collects
 * errors with their positions. Errors are emitted sorted by position at the
 * end, so an administrator reads them top to bottom whatever order the
 * checks ran in. Every node is walked at most once, which keeps hostile
 * alias graphs linear.
 */
#ifndef VITALS_CONFIG_YAML_H
#define VITALS_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "vitals/base/diag.h"

/* At most this many keys in one table (sizes the per-mapping bookkeeping). */
#define VT_CY_MAX_KEYS 24
/* Errors kept in memory, and errors shown; the rest are only counted. */
#define VT_CY_MAX_KEPT 1000
#define VT_CY_MAX_SHOWN 100
/* Flow nesting ([ and {) accepted before libyaml is asked to parse. */
#define VT_CY_MAX_DEPTH 64
/* Room for a key path such as "rules[12].beds[3]". */
#define VT_CY_PATH_MAX 96
/* Room for a quoted, shortened value in a message. */
#define VT_CY_QUOTE_MAX 72

struct vt_cy_error {
	int line;     /* 1-based */
	int column;   /* 1-based, in characters as libyaml counts them */
	size_t order; /* emission order, to keep the sort stable */
	char *msg;    /* the message without the position */
};

/* One parse: the text, its tree, and the errors found so far. */
struct vt_cy {
	const char *file;             /* name used in messages */
	const char *text;             /* the document's bytes (not owned) */
	size_t len;                   /* bytes in text */
	yaml_document_t doc;          /* the loaded tree, valid when `loaded` */
	bool loaded;                  /* doc must be deleted */
	unsigned char *claimed;       /* one byte per node: already walked */
	size_t n_nodes;               /* nodes in doc */
	struct vt_cy_error *errors;   /* kept errors, in the order found */
	size_t n_errors, cap_errors;  /* used and allocated */
	size_t dropped;               /* errors beyond VT_CY_MAX_KEPT */
	bool oom;                     /* an allocation failed somewhere */
	void *user;                   /* the key handlers' own state */
};

struct vt_cy_key;

/*
 * A key handler: check `value` (found under key `k`, reached as `path`)
 * and store it into `obj`. Reports its own errors; returns whether the
 * value was good, so later cross-key checks can skip broken ones.
 */
typedef bool vt_cy_handler(struct vt_cy *c, const char *path, const yaml_node_t *value,
                           const struct vt_cy_key *k, void *obj);

/* The YAML shape a key's value must have; the walk checks it before the handler runs. */
enum vt_cy_shape {
	VT_CY_SCALAR,         /* one value (not empty) */
	VT_CY_LIST,           /* a list; an empty value means an empty list */
	VT_CY_SCALAR_OR_LIST, /* one value, or a list of values */
	VT_CY_MAPPING         /* a section: a mapping whose key table is the row's data;
	                         its defaults apply even when the section is absent */
};

/* What a duration looks like, for messages. */
#define VT_CY_DURATION "a duration such as 15s, 250ms, 2m or 1h"

/* One row of a key table; a table ends with a row whose name is NULL. */
struct vt_cy_key {
	const char *name;        /* the key as written in the file */
	enum vt_cy_shape shape;  /* the node it takes */
	const char *what;        /* what the value is: "expected WHAT, got ..." */
	vt_cy_handler *handler;  /* checks and stores the value */
	size_t offset;           /* target field in obj, for generic handlers */
	size_t count_offset;     /* size_t element count, for list handlers */
	bool required;           /* a mapping without it is an error */
	const char *dflt;        /* default in file syntax, or NULL for none */
	int arg;                 /* handler-specific: a direction, a flag */
	const void *data;        /* handler-specific: a table of names */
};

/* What a mapping walk found: per table row, the value node, and whether it was good. */
struct vt_cy_seen {
	const yaml_node_t *key;   /* the key node, NULL if absent */
	const yaml_node_t *value; /* the value node, NULL if absent */
	bool ok;                  /* the handler accepted the value */
};

/* Names for an enumerated key, ended by a NULL name. */
struct vt_cy_enum {
	const char *name;
	int value;
};

/*
 * Load the first document of `text`. Returns 0 and leaves c ready to walk,
 * or -1 after recording a syntax error (or a second document, or anchors).
 * Always pair with vt_cy_close.
 */
int vt_cy_open(struct vt_cy *c, const char *file, const char *text, size_t len);

/*
 * Read the whole file at `path`, at most `max` bytes, into a new *buf
 * (free it). 0, or an errno value: EFBIG when the file is larger than max;
 * or VT_CY_NOT_REGULAR for a FIFO, a device or a socket, which is never
 * read (a FIFO would block for ever, a device might never end).
 */
#define VT_CY_NOT_REGULAR (-1)
int vt_cy_read_file(const char *path, size_t max, char **buf, size_t *len);

/*
 * vt_cy_read_file for a parse: the new buffer (free it), or NULL after
 * adding to diag why the file cannot be read, `what` naming the kind of
 * file in the message ("too large (more than MAX bytes); WHAT is at most
 * MAX bytes").
 */
char *vt_cy_load(const char *path, size_t max, const char *what, struct vt_diag *diag,
                 size_t *len);

/* Emit every error into diag, sorted by position, and free everything. */
void vt_cy_close(struct vt_cy *c, struct vt_diag *diag);

/* Whether any error has been recorded (or memory ran out). */
bool vt_cy_failed(const struct vt_cy *c);

/* The root node, or NULL for an empty document. */
const yaml_node_t *vt_cy_root(struct vt_cy *c);

/* Record an error at `at` (a node) or at a mark. */
void vt_cy_error(struct vt_cy *c, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vt_cy_error_mark(struct vt_cy *c, yaml_mark_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Note a failed allocation; the parse then fails with "out of memory". */
void vt_cy_oom(struct vt_cy *c);
/* strdup that notes failure. */
char *vt_cy_strdup(struct vt_cy *c, const char *s);
/* calloc that notes failure (n may be 0: returns a valid pointer then). */
void *vt_cy_calloc(struct vt_cy *c, size_t n, size_t size);

/*
 * Claim a node for walking. False if it was walked already, which only an
 * alias can cause; aliases are reported when the file is opened, so the
 * caller just skips the node.
 */
bool vt_cy_claim(struct vt_cy *c, const yaml_node_t *n);

/* Whether n is a plain null: empty, ~, null, Null or NULL. */
bool vt_cy_is_null(const yaml_node_t *n);

/* "a list", "a mapping", "an empty value" or the quoted scalar text. */
const char *vt_cy_describe(const yaml_node_t *n, char *buf, size_t len);

/* Quote `s` for a message: escaped, shortened to fit buf. */
const char *vt_cy_quote(const char *s, char *buf, size_t len);

/* The text of a value the walk has already checked is a non-empty scalar. */
const char *vt_cy_text(const yaml_node_t *n);

/*
 * The text of a scalar value (a list item), or NULL after reporting
 * "PATH: expected WHAT, got ...". Null scalars and NUL bytes are rejected.
 */
const char *vt_cy_scalar(struct vt_cy *c, const char *path, const yaml_node_t *n,
                         const char *what);

/* Items of a sequence node. */
size_t vt_cy_count(const yaml_node_t *seq);
const yaml_node_t *vt_cy_item(struct vt_cy *c, const yaml_node_t *seq, size_t i);

/*
 * Walk mapping `n` against `keys`: apply every row's default, report a
 * non-mapping, unknown and duplicate keys and values of the wrong shape,
 * call each handler, then report missing required keys at the mapping. `seen` (one per row) says what was
 * found. `what` describes the mapping for a type error ("a monitor").
 * Returns false if `n` is not a usable mapping.
 */
bool vt_cy_mapping(struct vt_cy *c, const char *path, const yaml_node_t *n, const char *what,
                   const struct vt_cy_key *keys, void *obj, struct vt_cy_seen *seen);

/*
 * Walk the document's root as the mapping of `keys` (vt_cy_mapping). A
 * document with nothing but comments has no mapping to point at: `missing`
 * ("missing required key \"publish\"") is reported at its top instead.
 * Returns whether the root was a usable mapping.
 */
bool vt_cy_document(struct vt_cy *c, const char *what, const char *missing,
                    const struct vt_cy_key *keys, void *obj, struct vt_cy_seen *seen);

/*
 * Whether a list of `total` items at `n` (reached as `path`) is as long as
 * the file may make it: at least one when `min_one`, at most `max`.
 * Otherwise reports "PATH: expected at least one ITEM" or "PATH: N ITEMS;
 * at most MAX are supported" and returns false.
 */
bool vt_cy_list_length(struct vt_cy *c, const char *path, const yaml_node_t *n, size_t total,
                       bool min_one, size_t max, const char *item, const char *items);

/*
 * Walk item i of list `n` (reached as `path`) as a mapping of `keys` into
 * obj, reached as "PATH[i]". Returns the item, or NULL when it is not a
 * usable mapping (reported) or was walked already (an alias).
 */
const yaml_node_t *vt_cy_item_mapping(struct vt_cy *c, const char *path, const yaml_node_t *n,
                                      size_t i, const char *what, const struct vt_cy_key *keys,
                                      void *obj, struct vt_cy_seen *seen);

/* Join a path and a key ("rules[2]" + "below"); root path is "". */
const char *vt_cy_path(char *buf, size_t len, const char *path, const char *key);
/* Path of a list item ("rules" + 2 -> "rules[2]"). */
const char *vt_cy_path_index(char *buf, size_t len, const char *path, size_t i);

/* Parse a plain decimal number ("90", "-1.5", "2e3"); finite only. 0 or -1. */
int vt_cy_parse_number(const char *s, double *out);

/* The bounds of an integer or a size key (k->data). */
struct vt_cy_range {
	int64_t min, max;
};

/* What a size looks like, for messages. */
#define VT_CY_SIZE "a size such as 4096, 64KiB, 16MiB or 1GiB"

/* Replace the char * field at obj + k->offset by a copy of s; false when memory ran out. */
bool vt_cy_store_text(struct vt_cy *c, const char *s, const struct vt_cy_key *k, void *obj);

/* Generic handlers; the value goes to obj + k->offset. */
vt_cy_handler vt_cy_duration;          /* int64_t ms, >= 0 */
vt_cy_handler vt_cy_duration_positive; /* int64_t ms, > 0 */
vt_cy_handler vt_cy_bool;              /* bool: true or false */
vt_cy_handler vt_cy_enum_value;        /* int-sized enum; k->data is a struct vt_cy_enum[] */
vt_cy_handler vt_cy_section;           /* a section of its own keys (k->data) into the same obj */
vt_cy_handler vt_cy_integer;           /* int64_t within k->data's struct vt_cy_range */
vt_cy_handler vt_cy_size;              /* int64_t bytes (KiB, MiB, GiB), within k->data's range */

#endif

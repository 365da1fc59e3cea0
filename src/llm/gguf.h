/* gguf.h: a read-only, bounds-checked reader for GGUF model files (versions 2 and 3).
 *
 * The reader maps a file (or borrows a byte range), validates every count, length and
 * offset in the header against the bytes actually present, and exposes the metadata and
 * tensor table. Tensor data is never copied: llm_gguf_tensor.data points into the
 * mapping. Writing GGUF is in gguf_write.h.
 *
 * ## The GGUF format (all integers little-endian)
 *
 *     header:
 *       char     magic[4]        "GGUF"
 *       uint32   version         1 (rejected: u32 counts/lengths), 2 or 3 (same layout here)
 *       uint64   n_tensors
 *       uint64   n_kv
 *       kv[n_kv]:
 *         string key             uint64 len + len bytes, no NUL, e.g. "general.architecture"
 *         uint32 value_type      0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool (1 byte,
 *                                0/1), 8 string, 9 array, 10 u64, 11 i64, 12 f64
 *         value                  a scalar of that type, a string, or for an array:
 *                                uint32 elem_type (any but array), uint64 n, n elements
 *       tensor_info[n_tensors]:
 *         string name            unique
 *         uint32 n_dims          1..4
 *         uint64 ne[n_dims]      elements per dimension, ne[0] varies fastest (a row)
 *         uint32 type            enum llm_type (ggml type id)
 *         uint64 offset          bytes from the start of the data section; a multiple of
 *                                the alignment
 *     padding up to a multiple of ALIGN
 *     data section               tensor bytes; tensor i occupies [offset, offset + size)
 *
 *   ALIGN is the u32 (or other unsigned integer) key "general.alignment" when present (a
 *   power of two), else 32. Rows of a quantized tensor are ne[0] / block_size blocks;
 *   ne[0] must be a multiple of the type's block size.
 *
 * ## Limits (a hostile file fails cleanly with a message, never a crash)
 *   keys and tensor names: at most 65535 bytes; n_kv and n_tensors at most 2^20 and array
 *   lengths at most 2^28 (ERR_TOO_LARGE), and all of them bounded by the bytes left in the
 *   file (ERR_TRUNCATED: each element takes at least one byte); tensors: at most
 *   4 dims, every ne >= 0, element count and byte size checked for overflow, data inside
 *   the file. Duplicate keys or tensor names are ERR_INVALID.
 *
 * ## Threads
 * A parsed struct llm_gguf is immutable; any number of threads may read it at once.
 * llm_gguf_close must not race with readers. */
#ifndef RELAIS_LLM_GGUF_H
#define RELAIS_LLM_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/str.h"
#include "llm/tensor.h"

/* Metadata value types, numbered as in the file. */
enum llm_gguf_vtype {
    LLM_GGUF_U8 = 0,
    LLM_GGUF_I8 = 1,
    LLM_GGUF_U16 = 2,
    LLM_GGUF_I16 = 3,
    LLM_GGUF_U32 = 4,
    LLM_GGUF_I32 = 5,
    LLM_GGUF_F32 = 6,
    LLM_GGUF_BOOL = 7,
    LLM_GGUF_STRING = 8,
    LLM_GGUF_ARRAY = 9,
    LLM_GGUF_U64 = 10,
    LLM_GGUF_I64 = 11,
    LLM_GGUF_F64 = 12,
    LLM_GGUF_VTYPE_COUNT = 13 /* number of value types */
};

#define LLM_GGUF_DEFAULT_ALIGNMENT 32
#define LLM_GGUF_MAX_DIMS 4

/* One parsed file. Opaque; owned by the caller of llm_gguf_open/llm_gguf_parse and
 * released with llm_gguf_close. */
struct llm_gguf;

/* One tensor. Owned by the struct llm_gguf it came from and valid until llm_gguf_close. */
struct llm_gguf_tensor {
    const char *name;                /* NUL-terminated copy of the name */
    enum llm_type type;              /* element type */
    int n_dims;                      /* 1..4 as stored in the file */
    int64_t ne[LLM_GGUF_MAX_DIMS];   /* elements per dim, ne[0] fastest; unused dims are 1 */
    int64_t n_elements;              /* ne[0]*ne[1]*ne[2]*ne[3] */
    uint64_t offset;                 /* bytes from the start of the data section */
    const void *data;                /* points into the mapping; size_bytes bytes */
    size_t size_bytes;               /* rows * row size */
};

/* A metadata array. The element data is raw, little-endian and possibly unaligned: read
 * it with the llm_gguf_arr_* accessors, not by casting `data`. Borrowed from the file. */
struct llm_gguf_arr {
    const struct llm_gguf *g; /* the file it belongs to (for string arrays) */
    int64_t kv_index;         /* the key it is the value of */
    enum llm_gguf_vtype type; /* element type (never ARRAY) */
    uint64_t len;             /* number of elements */
    const uint8_t *data;      /* first element; for strings, the first length prefix */
};

/* ---- opening ------------------------------------------------------------------------ */

/* Maps `path` read-only and parses it. On success returns 0 and stores an owned handle
 * in *out (free with llm_gguf_close). On failure returns ERR_IO (open/stat/mmap failed),
 * ERR_TRUNCATED (the file ends inside a structure it announced), ERR_INVALID (bad magic,
 * bad type, misaligned offset, duplicate name, ...), ERR_TOO_LARGE (a count or size past
 * the limits above) or ERR_UNSUPPORTED (version 1 or > 3, a big-endian file, or a ggml
 * tensor type not implemented here such as iq4_nl), and writes a one-line reason
 * into err (always NUL-terminated when err_len > 0; err may be NULL). */
int llm_gguf_open(const char *path, struct llm_gguf **out, char *err, size_t err_len);

/* Parses GGUF bytes already in memory (tests, fuzzing). `bytes` is borrowed and must
 * outlive the handle; the handle does not free it. Same results as llm_gguf_open. */
int llm_gguf_parse(const void *bytes, size_t len, struct llm_gguf **out, char *err,
                   size_t err_len);

/* Releases a handle (unmaps the file if llm_gguf_open mapped it). NULL is a no-op. */
void llm_gguf_close(struct llm_gguf *g);

/* ---- file-level facts ---------------------------------------------------------------- */

uint32_t llm_gguf_version(const struct llm_gguf *g);     /* 2 or 3 */
size_t llm_gguf_alignment(const struct llm_gguf *g);     /* general.alignment or 32 */
size_t llm_gguf_data_offset(const struct llm_gguf *g);   /* start of the data section */
size_t llm_gguf_file_size(const struct llm_gguf *g);     /* bytes mapped/parsed */
const void *llm_gguf_bytes(const struct llm_gguf *g);    /* the whole file, borrowed */

/* ---- metadata ------------------------------------------------------------------------ */

int64_t llm_gguf_kv_count(const struct llm_gguf *g);

/* Key of entry i (0 <= i < count): NUL-terminated, owned by g. */
const char *llm_gguf_kv_key(const struct llm_gguf *g, int64_t i);

/* Value type of entry i. */
enum llm_gguf_vtype llm_gguf_kv_type(const struct llm_gguf *g, int64_t i);

/* Index of `key`, or -1 when absent. O(1) average (hashed). */
int64_t llm_gguf_find_key(const struct llm_gguf *g, const char *key);

/* Name of a value type ("u32", "string", "array", ...); "?" when out of range. */
const char *llm_gguf_vtype_name(enum llm_gguf_vtype t);

/* Typed getters by key. When the key is absent they store `def` and return 0 (so
 * optional hyper-parameters read in one line). When present they convert sensibly:
 * - get_u32 / get_i64: any integer type (u8..i64, bool) whose value fits the target;
 *   a value that does not fit gives ERR_TOO_LARGE;
 * - get_f32: f32, f64 (rounded) or any integer type;
 * - get_bool: bool, or an integer (non-zero = true);
 * - get_str: a string; the result is borrowed from g (not NUL-terminated).
 * Any other stored type gives ERR_INVALID and leaves *out = def. */
int llm_gguf_get_u32(const struct llm_gguf *g, const char *key, uint32_t def, uint32_t *out);
int llm_gguf_get_i64(const struct llm_gguf *g, const char *key, int64_t def, int64_t *out);
int llm_gguf_get_f32(const struct llm_gguf *g, const char *key, float def, float *out);
int llm_gguf_get_bool(const struct llm_gguf *g, const char *key, bool def, bool *out);
int llm_gguf_get_str(const struct llm_gguf *g, const char *key, struct str def,
                     struct str *out);

/* Same conversions on entry index i (no default: i must be valid). */
int llm_gguf_kv_i64(const struct llm_gguf *g, int64_t i, int64_t *out);
int llm_gguf_kv_f64(const struct llm_gguf *g, int64_t i, double *out); /* ints and floats */
int llm_gguf_kv_str(const struct llm_gguf *g, int64_t i, struct str *out);

/* The value of entry i exactly as stored in the file (the bytes after its type field:
 * a scalar, a length-prefixed string, or an array's element type, length and elements),
 * for copying it verbatim. Borrowed from g; *len gets the size in bytes. */
const void *llm_gguf_kv_raw(const struct llm_gguf *g, int64_t i, size_t *len);

/* Array value of `key`. Returns 0 and fills *out, ERR_NOT_FOUND when absent, ERR_INVALID
 * when the value is not an array. llm_gguf_kv_arr does the same by index. */
int llm_gguf_get_arr(const struct llm_gguf *g, const char *key, struct llm_gguf_arr *out);
int llm_gguf_kv_arr(const struct llm_gguf *g, int64_t i, struct llm_gguf_arr *out);

/* Element i of a numeric/bool array, converted. i must be < a->len (ASSERTed). The
 * integer accessor returns ERR_INVALID for float/string arrays and ERR_TOO_LARGE for a
 * u64 above INT64_MAX; the float accessor accepts every numeric type. */
int llm_gguf_arr_i64(const struct llm_gguf_arr *a, uint64_t i, int64_t *out);
int llm_gguf_arr_f32(const struct llm_gguf_arr *a, uint64_t i, float *out);

/* Element i of a string array, borrowed from the file (not NUL-terminated). O(1): string
 * offsets are indexed at parse time. ERR_INVALID when the array does not hold strings. */
int llm_gguf_arr_str(const struct llm_gguf_arr *a, uint64_t i, struct str *out);

/* ---- tensors ------------------------------------------------------------------------- */

int64_t llm_gguf_tensor_count(const struct llm_gguf *g);

/* Tensor i (0 <= i < count), in file order. Borrowed from g. */
const struct llm_gguf_tensor *llm_gguf_tensor_at(const struct llm_gguf *g, int64_t i);

/* Tensor by name, or NULL when absent. O(1) average (hashed). Borrowed from g. */
const struct llm_gguf_tensor *llm_gguf_find_tensor(const struct llm_gguf *g,
                                                   const char *name);

#endif

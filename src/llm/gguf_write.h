/* gguf_write.h: writes GGUF v3 files (format described in gguf.h).
 *
 * A writer collects metadata entries and tensor descriptions in memory, then writes the
 * file in one pass: header, metadata, tensor infos, padding, and each tensor's data
 * aligned to general.alignment (32 unless set with llm_gguf_writer_set_alignment).
 * Tensor data is either borrowed (a pointer given to add_tensor, which must stay valid
 * until llm_gguf_writer_write returns) or produced at write time by a fill callback, so
 * quantizing a large model needs only one tensor's worth of scratch memory.
 *
 * Used by `relais llm quantize` (cli_quantize.c) and tools/mkgguf.c. Not thread-safe: one
 * thread owns a writer. */
#ifndef RELAIS_LLM_GGUF_WRITE_H
#define RELAIS_LLM_GGUF_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/str.h"
#include "llm/gguf.h"
#include "llm/tensor.h"

struct llm_gguf_writer;

/* Produces tensor `index`'s bytes into dst (size bytes, as computed from its type and
 * shape). Returns 0 or a negative ERR_* that aborts the write. */
typedef int (*llm_gguf_fill_fn)(void *ctx, int64_t index, void *dst, size_t size);

/* Returns a new, empty writer (owned; free with llm_gguf_writer_free). */
struct llm_gguf_writer *llm_gguf_writer_new(void);
void llm_gguf_writer_free(struct llm_gguf_writer *w);

/* Metadata setters. Keys are copied. Each returns 0, or ERR_EXISTS when the key was set
 * already, or ERR_TOO_LARGE past the writer's limits (1 GiB of metadata). Array setters
 * copy their elements. Setting "general.alignment" with set_u32 also sets the alignment
 * (ERR_INVALID unless a power of two). */
int llm_gguf_writer_set_u32(struct llm_gguf_writer *w, const char *key, uint32_t v);
int llm_gguf_writer_set_i32(struct llm_gguf_writer *w, const char *key, int32_t v);
int llm_gguf_writer_set_f32(struct llm_gguf_writer *w, const char *key, float v);
int llm_gguf_writer_set_bool(struct llm_gguf_writer *w, const char *key, bool v);
int llm_gguf_writer_set_str(struct llm_gguf_writer *w, const char *key, struct str v);
int llm_gguf_writer_set_arr_str(struct llm_gguf_writer *w, const char *key,
                                const struct str *items, size_t n);
int llm_gguf_writer_set_arr_f32(struct llm_gguf_writer *w, const char *key, const float *v,
                                size_t n);
int llm_gguf_writer_set_arr_i32(struct llm_gguf_writer *w, const char *key, const int32_t *v,
                                size_t n);

/* Copies metadata entry i of an open file verbatim (any type, arrays included). */
int llm_gguf_writer_copy_kv(struct llm_gguf_writer *w, const struct llm_gguf *g, int64_t i);

/* Declares a tensor (name copied). ne has n_dims (1..4) entries, ne[0] a multiple of the
 * type's block size (else ERR_INVALID). `data` (size from type and shape) is borrowed
 * until llm_gguf_writer_write returns, or NULL to have the fill callback produce it.
 * Returns ERR_EXISTS for a duplicate name. Tensors are written in the order added. */
int llm_gguf_writer_add_tensor(struct llm_gguf_writer *w, const char *name, enum llm_type type,
                               int n_dims, const int64_t *ne, const void *data);

/* Writes the file to `path` (created or truncated). fill/ctx serve tensors added with
 * data == NULL (fill may be NULL when there are none). Returns 0, ERR_IO (with errno
 * set) or the callback's error; a failed write leaves a partial file behind. */
int llm_gguf_writer_write(struct llm_gguf_writer *w, const char *path, llm_gguf_fill_fn fill,
                          void *ctx);

#endif

/* llm.h: the inference engine's public API (what the server and the CLI use).
 *
 * Objects and ownership:
 *   struct llm_model    a loaded GGUF model: weights mmap'd read-only, hyper-parameters, the
 *                       tokenizer. Immutable and reference counted: llm_model_load returns one
 *                       reference; llm_model_ref/unref share it between owners (each context
 *                       holds a reference). Any number of threads may use one model at once.
 *   struct llm_context  the mutable state for running a model: a KV cache with n_seq sequence
 *                       slots of n_ctx positions each, the scratch of the forward pass (sized
 *                       for n_batch tokens), the logits of the last decode and a fixed thread
 *                       pool. Everything is allocated once in llm_context_new; decoding
 *                       allocates nothing. A context is used by one thread at a time (the
 *                       scheduler's); its pool threads are internal.
 *
 * Decoding takes a batch: a list of (token, position, sequence slot, want logits). Several
 * sequences can share one batch (continuous batching): each token attends to positions 0..pos
 * of its own slot. Positions of a slot must continue from its current length (a slot is
 * rewound with llm_seq_truncate / llm_seq_clear).
 *
 * Numerics follow llama.cpp's CPU backend (ggml): matrix products quantize activations to the
 * weight type's vec_dot type, RMSNorm/RoPE/softmax as ggml computes them, so greedy output
 * matches llama.cpp token for token on the reference models.
 *
 * Errors are negative ERR_* codes (base/err.h); functions that take (err, err_len) also
 * write a one-line reason there, and a context keeps its last message (llm_context_error).
 *
 * The rest of the API sits beside this header: llm/sampler.h (turning logits into a token,
 * one sampler per sequence), llm/generate.h (a prompt -> streamed text loop with stop strings),
 * llm/template.h (chat templates) and llm/tokenizer/tokenizer.h (the vocab behind
 * llm_model_vocab). */
#ifndef RELAIS_LLM_LLM_H
#define RELAIS_LLM_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct llm_model;
struct llm_context;
struct llm_vocab;

/* ---- model ------------------------------------------------------------------------------ */

struct llm_model_info {
    const char *arch; /* general.architecture ("llama", "qwen2"); borrowed from the model */
    int n_vocab;      /* tokens (rows of the output) */
    int n_embd;       /* hidden size = embedding dimension */
    int n_layer;      /* blocks */
    int n_head;       /* query heads */
    int n_head_kv;    /* key/value heads */
    int n_ff;         /* feed-forward width */
    int n_ctx_train;  /* the model's context length */
    size_t file_bytes; /* size of the GGUF file */
};

/* Maps and checks a GGUF model (architectures: llama, qwen2). Returns 0 and one owned
 * reference in *out (release with llm_model_unref), or ERR_IO / ERR_INVALID / ERR_UNSUPPORTED
 * (unknown architecture or tensor type) / ERR_TOO_LARGE with a reason in err. */
int llm_model_load(const char *path, struct llm_model **out, char *err, size_t err_len);
/* Adds a reference and returns m. Thread-safe. */
struct llm_model *llm_model_ref(struct llm_model *m);
/* Drops a reference; the last one unmaps the model. NULL is ignored. Thread-safe. */
void llm_model_unref(struct llm_model *m);
void llm_model_get_info(const struct llm_model *m, struct llm_model_info *out);
/* The model's tokenizer (borrowed, lives as long as the model), or NULL if the file has none. */
const struct llm_vocab *llm_model_vocab(const struct llm_model *m);
/* tokenizer.chat_template (borrowed, NUL-terminated) or NULL. */
const char *llm_model_chat_template(const struct llm_model *m);
/* Tokenizes with the model's vocab: owned array (free()) in *out. ERR_UNSUPPORTED without a
 * vocab; otherwise as llm_tokenize_alloc (tokenizer/tokenizer.h). Thread-safe. */
int llm_model_tokenize(const struct llm_model *m, const char *text, size_t len, bool add_special,
                       bool parse_special, int32_t **out, size_t *n_out);

/* ---- context ------------------------------------------------------------------------------ */

enum llm_kv_type {
    LLM_KV_F16, /* llama.cpp's default */
    LLM_KV_F32,
};

struct llm_context_params {
    int n_ctx;                /* positions per sequence slot; <= the model's context length */
    int n_seq;                /* sequence slots */
    int n_batch;              /* most tokens one forward pass takes (longer batches are split) */
    int n_outputs;            /* most tokens with logits per llm_decode call */
    int n_threads;            /* threads of the context's pool, including the caller */
    enum llm_kv_type kv_type; /* KV cache element type */
};

/* Defaults: n_ctx 0 (= min(model context, 4096)), n_seq 1, n_batch 512, n_outputs 1,
 * n_threads 2, kv F16. */
void llm_context_params_default(struct llm_context_params *p);
/* Creates a context (owned; llm_context_free) holding a reference to m. ERR_INVALID for a bad
 * parameter, n_ctx above the model's context length included; ERR_TOO_LARGE / ERR_NOMEM when
 * the KV cache and scratch cannot be allocated. */
int llm_context_new(struct llm_model *m, const struct llm_context_params *p,
                    struct llm_context **out, char *err, size_t err_len);
void llm_context_free(struct llm_context *c);
const struct llm_model *llm_context_model(const struct llm_context *c);
/* The last error message of c ("" if none). Borrowed until the next call on c. */
const char *llm_context_error(const struct llm_context *c);

struct llm_batch_item {
    int32_t token; /* id in [0, n_vocab) */
    int32_t pos;   /* position in its sequence: the slot's current length, then +1 per token */
    int32_t seq;   /* sequence slot in [0, n_seq) */
    bool logits;   /* compute this token's logits */
};

/* Runs the model over items[0..n). On success the logits of the items flagged `logits` are
 * available, in batch order, through llm_get_logits(c, 0 .. n_outputs-1). Errors (nothing is
 * changed): ERR_INVALID (token, slot or position out of order), ERR_TOO_LARGE (a position past
 * n_ctx: "context overflow", or more than n_outputs flagged tokens). */
int llm_decode(struct llm_context *c, const struct llm_batch_item *items, int n);
/* Logits row i of the last decode ([n_vocab] floats, borrowed until the next decode), or NULL
 * when i is out of range. */
const float *llm_get_logits(const struct llm_context *c, int i);
/* Number of logits rows of the last decode. */
int llm_n_outputs(const struct llm_context *c);
/* Positions filled in slot seq. */
int llm_seq_len(const struct llm_context *c, int seq);
/* Forgets positions >= len of slot seq (len <= current length). ERR_INVALID otherwise. */
int llm_seq_truncate(struct llm_context *c, int seq, int len);
void llm_seq_clear(struct llm_context *c, int seq);
/* How many leading tokens[0..n) are already in slot seq at the same positions (prompt caching:
 * truncate the slot to that length and decode only the rest). */
int llm_seq_common_prefix(const struct llm_context *c, int seq, const int32_t *tokens, int n);

/* Sentence embedding of tokens[0..n): the model's final hidden states (after output_norm)
 * mean-pooled over the tokens and L2-normalised, written to out[0..n_embd). Uses (and clears)
 * slot seq. Errors as llm_decode; n must be >= 1 and <= n_ctx. */
int llm_embed(struct llm_context *c, int seq, const int32_t *tokens, int n, float *out);

#endif

/* template.h: chat templates, rendered natively.
 *
 * A GGUF model carries its chat template as a Jinja string (`tokenizer.chat_template`). We do not
 * run Jinja: llm_template_detect() recognises the common families by characteristic substrings
 * and llm_template_render() writes the same text those templates produce for a messages array.
 * Unknown or missing templates fall back to ChatML.
 *
 * The rendered text never starts with the BOS token: the tokenizer adds BOS (add_special) when
 * the vocabulary wants it, so the text is meant to be tokenized with add_special = true and
 * parse_special = true (the role markers are special tokens).
 *
 * Families (what each renders, `{c}` = content):
 *   chatml     <|im_start|>{role}\n{c}<|im_end|>\n ... then <|im_start|>assistant\n
 *              (Qwen, SmolLM, many fine-tunes; no default system message is inserted)
 *   llama3     <|start_header_id|>{role}<|end_header_id|>\n\n{trim c}<|eot_id|> ... then
 *              <|start_header_id|>assistant<|end_header_id|>\n\n
 *   llama2     [INST] <<SYS>>\n{sys}\n<</SYS>>\n\n{trim user} [/INST] {trim asst} </s><s>[INST] ...
 *   mistral    [INST] {user} [/INST]{asst}</s>[INST] ...  (a system message is put in front of
 *              the first user message, separated by \n\n)
 *   mistral-v7 [SYSTEM_PROMPT]{sys}[/SYSTEM_PROMPT][INST]{user}[/INST]{asst}</s>
 *   gemma      <start_of_turn>{user|model}\n{trim c}<end_of_turn>\n ... <start_of_turn>model\n
 *              (a system message is put in front of the first user turn, separated by \n\n)
 *   phi3       <|{role}|>\n{c}<|end|>\n ... then <|assistant|>\n
 * Pure functions; thread-safe. */
#ifndef RELAIS_LLM_TEMPLATE_H
#define RELAIS_LLM_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum llm_template_kind {
    LLM_TEMPLATE_CHATML,
    LLM_TEMPLATE_LLAMA3,
    LLM_TEMPLATE_LLAMA2,
    LLM_TEMPLATE_MISTRAL,
    LLM_TEMPLATE_MISTRAL_V7,
    LLM_TEMPLATE_GEMMA,
    LLM_TEMPLATE_PHI3,
};

struct llm_chat_msg {
    const char *role;    /* "system", "user" or "assistant"; borrowed */
    const char *content; /* UTF-8 text; borrowed */
};

/* Recognises a template string (NULL or unknown: LLM_TEMPLATE_CHATML). The argument may also be
 * a family name as returned by llm_template_name ("chatml", "llama3", ...). */
enum llm_template_kind llm_template_detect(const char *tmpl);
/* Static name of a family ("chatml", "llama3", "llama2", "mistral", "mistral-v7", "gemma", "phi3"). */
const char *llm_template_name(enum llm_template_kind kind);
/* Appends the rendered conversation to out. add_assistant: end with the opening of an assistant
 * turn (the generation prompt). Returns 0, ERR_INVALID (a NULL role/content, or an unknown role)
 * or ERR_TOO_LARGE (out's ceiling). */
int llm_template_render(enum llm_template_kind kind, const struct llm_chat_msg *msgs, size_t n_msgs,
                        bool add_assistant, struct buf *out);
/* The text that ends an assistant turn in this family ("<|im_end|>", "<|eot_id|>", "</s>", ...),
 * usable as a stop string when the model emits it as plain text. Static. */
const char *llm_template_end_of_turn(enum llm_template_kind kind);

#endif

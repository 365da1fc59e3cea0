/* template.c: recognising and rendering chat templates (see template.h for the formats).
 *
 * Detection is a table of (substring, family) rows tried in order; the first template string
 * containing every substring of a row wins. Rendering is one function per family. */
#include "llm/template.h"

#include <string.h>

#include "base/err.h"

struct template_rule {
    const char *needle1;         /* must occur */
    const char *needle2;         /* must also occur, or NULL */
    const char *absent;          /* must not occur, or NULL */
    enum llm_template_kind kind; /* the family */
};

static const struct template_rule rules[] = {
    {"<|im_start|>", NULL, NULL, LLM_TEMPLATE_CHATML},
    {"<|start_header_id|>", NULL, NULL, LLM_TEMPLATE_LLAMA3},
    {"[SYSTEM_PROMPT]", NULL, NULL, LLM_TEMPLATE_MISTRAL_V7},
    {"[INST]", "<<SYS>>", NULL, LLM_TEMPLATE_LLAMA2},
    {"[INST]", NULL, NULL, LLM_TEMPLATE_MISTRAL},
    {"<start_of_turn>", NULL, NULL, LLM_TEMPLATE_GEMMA},
    {"<|assistant|>", "<|end|>", NULL, LLM_TEMPLATE_PHI3},
};

static const char *const names[] = {
    [LLM_TEMPLATE_CHATML] = "chatml",   [LLM_TEMPLATE_LLAMA3] = "llama3",
    [LLM_TEMPLATE_LLAMA2] = "llama2",   [LLM_TEMPLATE_MISTRAL] = "mistral",
    [LLM_TEMPLATE_MISTRAL_V7] = "mistral-v7", [LLM_TEMPLATE_GEMMA] = "gemma",
    [LLM_TEMPLATE_PHI3] = "phi3",
};

enum llm_template_kind llm_template_detect(const char *tmpl)
{
    if (!tmpl)
        return LLM_TEMPLATE_CHATML;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(tmpl, names[i]) == 0)
            return (enum llm_template_kind)i;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct template_rule *r = &rules[i];
        if (!strstr(tmpl, r->needle1))
            continue;
        if (r->needle2 && !strstr(tmpl, r->needle2))
            continue;
        if (r->absent && strstr(tmpl, r->absent))
            continue;
        return r->kind;
    }
    return LLM_TEMPLATE_CHATML;
}

const char *llm_template_name(enum llm_template_kind kind)
{
    if ((size_t)kind < sizeof names / sizeof names[0])
        return names[kind];
    return "chatml";
}

const char *llm_template_end_of_turn(enum llm_template_kind kind)
{
    switch (kind) {
    case LLM_TEMPLATE_CHATML:
        return "<|im_end|>";
    case LLM_TEMPLATE_LLAMA3:
        return "<|eot_id|>";
    case LLM_TEMPLATE_GEMMA:
        return "<end_of_turn>";
    case LLM_TEMPLATE_PHI3:
        return "<|end|>";
    case LLM_TEMPLATE_LLAMA2:
    case LLM_TEMPLATE_MISTRAL:
    case LLM_TEMPLATE_MISTRAL_V7:
        return "</s>";
    }
    return "<|im_end|>";
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Appends pre, then s with leading and trailing whitespace removed (Jinja's trim / Python's
 * strip), then post. */
static int append_trimmed(struct buf *out, const char *pre, const char *s, const char *post)
{
    size_t len = strlen(s);
    size_t a = 0;
    while (a < len && is_space(s[a]))
        a++;
    while (len > a && is_space(s[len - 1]))
        len--;
    int rc = buf_append_str(out, pre);
    if (rc == 0)
        rc = buf_append(out, s + a, len - a);
    if (rc == 0)
        rc = buf_append_str(out, post);
    return rc;
}

enum role { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT };

static int role_of(const struct llm_chat_msg *m, enum role *r)
{
    if (!m->role || !m->content)
        return ERR_INVALID;
    if (strcmp(m->role, "system") == 0)
        *r = ROLE_SYSTEM;
    else if (strcmp(m->role, "user") == 0)
        *r = ROLE_USER;
    else if (strcmp(m->role, "assistant") == 0)
        *r = ROLE_ASSISTANT;
    else
        return ERR_INVALID;
    return 0;
}

static int render_chatml(const struct llm_chat_msg *m, size_t n, bool add, struct buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = buf_printf(out, "<|im_start|>%s\n%s<|im_end|>\n", m[i].role, m[i].content);
    if (rc == 0 && add)
        rc = buf_append_str(out, "<|im_start|>assistant\n");
    return rc;
}

static int render_llama3(const struct llm_chat_msg *m, size_t n, bool add, struct buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = buf_printf(out, "<|start_header_id|>%s<|end_header_id|>\n\n", m[i].role);
        if (rc == 0)
            rc = append_trimmed(out, "", m[i].content, "<|eot_id|>");
    }
    if (rc == 0 && add)
        rc = buf_append_str(out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    return rc;
}

/* Llama 2 chat: the system message goes inside the first [INST] in <<SYS>> markers; each turn
 * after an answer reopens with <s>[INST] (the template's bos_token + '[INST]'); contents are
 * stripped; answers are surrounded by spaces and closed with </s>. */
static int render_llama2(const struct llm_chat_msg *m, size_t n, bool add, struct buf *out)
{
    int rc = buf_append_str(out, "[INST] ");
    bool inside = true;
    (void)add; /* the generation prompt is the open [/INST] itself */
    for (size_t i = 0; i < n && rc == 0; i++) {
        enum role r;
        rc = role_of(&m[i], &r);
        if (rc == 0 && !inside) {
            rc = buf_append_str(out, "<s>[INST] ");
            inside = true;
        }
        if (rc != 0)
            break;
        if (r == ROLE_SYSTEM) {
            rc = append_trimmed(out, "<<SYS>>\n", m[i].content, "\n<</SYS>>\n\n");
        } else if (r == ROLE_USER) {
            rc = append_trimmed(out, "", m[i].content, " [/INST]");
        } else {
            rc = append_trimmed(out, " ", m[i].content, " </s>");
            inside = false;
        }
    }
    return rc;
}

/* Mistral v0.1-v0.3 and mistral-v7: [INST] ... [/INST] pairs with the answer closed by </s>. */
static int render_mistral(const struct llm_chat_msg *m, size_t n, bool v7, struct buf *out)
{
    int rc = 0;
    const char *pending_sys = NULL;
    for (size_t i = 0; i < n && rc == 0; i++) {
        enum role r;
        rc = role_of(&m[i], &r);
        if (rc != 0)
            break;
        if (r == ROLE_SYSTEM) {
            if (v7)
                rc = buf_printf(out, "[SYSTEM_PROMPT]%s[/SYSTEM_PROMPT]", m[i].content);
            else
                pending_sys = m[i].content;
        } else if (r == ROLE_USER) {
            rc = buf_append_str(out, v7 ? "[INST]" : "[INST] ");
            if (rc == 0 && pending_sys) {
                rc = buf_printf(out, "%s\n\n", pending_sys);
                pending_sys = NULL;
            }
            if (rc == 0)
                rc = buf_printf(out, v7 ? "%s[/INST]" : "%s [/INST]", m[i].content);
        } else {
            rc = buf_printf(out, "%s</s>", m[i].content);
        }
    }
    return rc;
}

static int render_gemma(const struct llm_chat_msg *m, size_t n, bool add, struct buf *out)
{
    int rc = 0;
    const char *pending_sys = NULL;
    for (size_t i = 0; i < n && rc == 0; i++) {
        enum role r;
        rc = role_of(&m[i], &r);
        if (rc != 0)
            break;
        if (r == ROLE_SYSTEM) {
            pending_sys = m[i].content;
            continue;
        }
        rc = buf_printf(out, "<start_of_turn>%s\n", r == ROLE_USER ? "user" : "model");
        if (rc == 0 && pending_sys && r == ROLE_USER) {
            rc = append_trimmed(out, "", pending_sys, "\n\n");
            pending_sys = NULL;
        }
        if (rc == 0)
            rc = append_trimmed(out, "", m[i].content, "<end_of_turn>\n");
    }
    if (rc == 0 && add)
        rc = buf_append_str(out, "<start_of_turn>model\n");
    return rc;
}

static int render_phi3(const struct llm_chat_msg *m, size_t n, bool add, struct buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = buf_printf(out, "<|%s|>\n%s<|end|>\n", m[i].role, m[i].content);
    if (rc == 0 && add)
        rc = buf_append_str(out, "<|assistant|>\n");
    return rc;
}

int llm_template_render(enum llm_template_kind kind, const struct llm_chat_msg *msgs, size_t n_msgs,
                        bool add_assistant, struct buf *out)
{
    for (size_t i = 0; i < n_msgs; i++) {
        enum role r;
        if (role_of(&msgs[i], &r) != 0)
            return ERR_INVALID;
    }
    size_t mark = out->len;
    int rc;
    switch (kind) {
    case LLM_TEMPLATE_LLAMA3:
        rc = render_llama3(msgs, n_msgs, add_assistant, out);
        break;
    case LLM_TEMPLATE_LLAMA2:
        rc = render_llama2(msgs, n_msgs, add_assistant, out);
        break;
    case LLM_TEMPLATE_MISTRAL:
        rc = render_mistral(msgs, n_msgs, false, out);
        break;
    case LLM_TEMPLATE_MISTRAL_V7:
        rc = render_mistral(msgs, n_msgs, true, out);
        break;
    case LLM_TEMPLATE_GEMMA:
        rc = render_gemma(msgs, n_msgs, add_assistant, out);
        break;
    case LLM_TEMPLATE_PHI3:
        rc = render_phi3(msgs, n_msgs, add_assistant, out);
        break;
    case LLM_TEMPLATE_CHATML:
    default:
        rc = render_chatml(msgs, n_msgs, add_assistant, out);
        break;
    }
    if (rc != 0 && out->len > mark) {
        out->len = mark; /* leave out as it was */
        if (out->data)
            out->data[mark] = '\0';
    }
    return rc;
}

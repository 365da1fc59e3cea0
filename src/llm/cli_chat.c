/* cli_chat.c: `relais llm chat FILE [-s SYSTEM] [-n N] [--temp T] [--seed S] [-t THREADS] ...`:
 * an interactive conversation on stdin/stdout. Each user line is added to the messages, the
 * whole conversation is rendered with the model's chat template (template.h; ChatML when the
 * file has none), tokenized with special tokens parsed, and the answer is streamed until an
 * end-of-generation token or the template's end-of-turn text. The part of the conversation
 * already in the KV cache is not evaluated again (reuse_prefix). When the conversation no longer
 * fits the context the oldest turns are dropped. An empty line or end of input quits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "llm/cli.h"
#include "llm/cli_common.h"
#include "llm/generate.h"
#include "llm/template.h"

static const char chat_usage[] =
    "FILE.gguf [-s SYSTEM] [-n N] [--temp T] [--seed S] [-t THREADS] [--top-k K] [--top-p P] "
    "[--min-p P] [-c CTX] [--kv f16|f32]";

enum { CHAT_MAX_MSGS = 512, CHAT_LINE_MAX = 1 << 16, CHAT_TEXT_MAX = 1 << 24 };

struct chat_reply {
    struct buf text; /* the answer so far */
};

static int chat_print(void *user, int32_t token, const char *text, size_t len)
{
    (void)token;
    struct chat_reply *r = user;
    if (text && len > 0) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        if (buf_append(&r->text, text, len) != 0)
            return 1;
    }
    return 0;
}

int llm_cli_chat(int argc, char **argv)
{
    struct llm_cli_opts o;
    int rc = llm__cli_parse(argc, argv, &o, chat_usage);
    if (rc != 0)
        return rc;
    if (o.n_predict < 0)
        o.n_predict = 512;
    struct llm_model *m = NULL;
    struct llm_context *c = NULL;
    struct llm_sampler *s = NULL;
    struct llm_chat_msg *msgs = xcalloc(CHAT_MAX_MSGS, sizeof *msgs);
    size_t n_msgs = 0, first_turn = 0;
    char *line = xmalloc(CHAT_LINE_MAX);
    struct buf prompt;
    buf_init(&prompt, CHAT_TEXT_MAX);
    int status = 1;
    if (llm__cli_open(&o, o.n_ctx, 512, &m, &c) != 0)
        goto out;
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    if (o.sp.temperature > 0 && llm_sampler_new(&o.sp, info.n_vocab, &s) != 0) {
        fprintf(stderr, "relais llm chat: bad sampling parameters\n");
        goto out;
    }
    enum llm_template_kind kind = llm_template_detect(llm_model_chat_template(m));
    const char *eot = llm_template_end_of_turn(kind);
    fprintf(stderr, "chat template: %s; empty line or Ctrl-D quits\n", llm_template_name(kind));
    if (o.system) {
        msgs[n_msgs++] = (struct llm_chat_msg){"system", xstrdup(o.system)};
        first_turn = 1;
    }
    for (;;) {
        fputs("> ", stdout);
        fflush(stdout);
        if (!fgets(line, CHAT_LINE_MAX, stdin))
            break;
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            break;
        if (n_msgs + 2 > CHAT_MAX_MSGS) {
            fprintf(stderr, "relais llm chat: too many messages\n");
            break;
        }
        msgs[n_msgs++] = (struct llm_chat_msg){"user", xstrdup(line)};
        struct chat_reply reply;
        buf_init(&reply.text, CHAT_TEXT_MAX);
        for (;;) {
            int32_t *toks = NULL;
            size_t n_toks = 0;
            buf_reset(&prompt);
            rc = llm_template_render(kind, msgs, n_msgs, true, &prompt);
            if (rc == 0)
                rc = llm_model_tokenize(m, prompt.data, prompt.len, true, true, &toks, &n_toks);
            if (rc == 0) {
                const char *stops[1] = {eot};
                struct llm_generate_params gp = {.max_tokens = o.n_predict, .sampler = s,
                                                 .stop = stops, .n_stop = 1,
                                                 .reuse_prefix = true};
                struct llm_generate_result res;
                rc = llm_generate(c, toks, (int)n_toks, &gp, chat_print, &reply, &res);
            }
            free(toks);
            /* too long: drop the oldest user/assistant pair and retry */
            if (rc == ERR_TOO_LARGE && n_msgs - first_turn > 2) {
                free((char *)msgs[first_turn].content);
                free((char *)msgs[first_turn + 1].content);
                memmove(&msgs[first_turn], &msgs[first_turn + 2],
                        (n_msgs - first_turn - 2) * sizeof *msgs);
                n_msgs -= 2;
                continue;
            }
            break;
        }
        putchar('\n');
        if (rc != 0) {
            fprintf(stderr, "relais llm chat: %s (%s)\n", llm_context_error(c), err_str(rc));
            buf_fini(&reply.text);
            free((char *)msgs[--n_msgs].content);
            continue;
        }
        msgs[n_msgs++] = (struct llm_chat_msg){"assistant", buf_steal(&reply.text)};
        buf_fini(&reply.text);
    }
    status = 0;
out:
    for (size_t i = 0; i < n_msgs; i++)
        free((char *)msgs[i].content);
    free(msgs);
    free(line);
    buf_fini(&prompt);
    llm_sampler_free(s);
    llm_context_free(c);
    llm_model_unref(m);
    return status;
}

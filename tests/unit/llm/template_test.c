/* template_test.c: chat template detection from the Jinja strings real models ship, and the
 * rendered prompt text (expected strings written from those templates' definitions). */
#include "harness.h"

#include "base/buf.h"
#include "base/err.h"
#include "llm/template.h"

TEST_CASE(llm, template_detect)
{
    const struct {
        const char *tmpl;
        enum llm_template_kind want;
    } rows[] = {
        /* Qwen2 / SmolLM */
        {"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
         "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
         "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
         "{% endfor %}",
         LLM_TEMPLATE_CHATML},
        /* Llama 3 */
        {"{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
         "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
         "message['content'] | trim + '<|eot_id|>' %}",
         LLM_TEMPLATE_LLAMA3},
        /* Llama 2 chat */
        {"{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + "
         "messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' %}{% endif %}"
         "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}",
         LLM_TEMPLATE_LLAMA2},
        /* Mistral 7B Instruct v0.2 */
        {"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
         "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == "
         "'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}",
         LLM_TEMPLATE_MISTRAL},
        {"{{ '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}{{ '[INST]' }}",
         LLM_TEMPLATE_MISTRAL_V7},
        {"{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}",
         LLM_TEMPLATE_GEMMA},
        {"{{'<|' + message['role'] + '|>' + '\\n' + message['content'] + '<|end|>\\n'}}"
         "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
         LLM_TEMPLATE_PHI3},
        {"something unknown {{ messages }}", LLM_TEMPLATE_CHATML},
        {NULL, LLM_TEMPLATE_CHATML},
        {"llama3", LLM_TEMPLATE_LLAMA3},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        ASSERT_INT_EQ(llm_template_detect(rows[i].tmpl), rows[i].want);
}

TEST_CASE(llm, template_render)
{
    const struct llm_chat_msg conv[] = {
        {"system", "You are terse."},
        {"user", "Hi there "},
        {"assistant", "Hello."},
        {"user", "Name a colour."},
    };
    const struct {
        enum llm_template_kind kind;
        const char *want;
    } rows[] = {
        {LLM_TEMPLATE_CHATML,
         "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there <|im_end|>\n"
         "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n"
         "<|im_start|>assistant\n"},
        {LLM_TEMPLATE_LLAMA3,
         "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
         "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
         "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
         "<|start_header_id|>user<|end_header_id|>\n\nName a colour.<|eot_id|>"
         "<|start_header_id|>assistant<|end_header_id|>\n\n"},
        {LLM_TEMPLATE_LLAMA2,
         "[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello. </s>"
         "<s>[INST] Name a colour. [/INST]"},
        {LLM_TEMPLATE_MISTRAL,
         "[INST] You are terse.\n\nHi there  [/INST]Hello.</s>[INST] Name a colour. [/INST]"},
        {LLM_TEMPLATE_MISTRAL_V7,
         "[SYSTEM_PROMPT]You are terse.[/SYSTEM_PROMPT][INST]Hi there [/INST]Hello.</s>"
         "[INST]Name a colour.[/INST]"},
        {LLM_TEMPLATE_GEMMA,
         "<start_of_turn>user\nYou are terse.\n\nHi there<end_of_turn>\n"
         "<start_of_turn>model\nHello.<end_of_turn>\n"
         "<start_of_turn>user\nName a colour.<end_of_turn>\n<start_of_turn>model\n"},
        {LLM_TEMPLATE_PHI3,
         "<|system|>\nYou are terse.<|end|>\n<|user|>\nHi there <|end|>\n<|assistant|>\nHello.<|end|>\n"
         "<|user|>\nName a colour.<|end|>\n<|assistant|>\n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct buf b;
        buf_init(&b, 1 << 16);
        ASSERT_INT_EQ(llm_template_render(rows[i].kind, conv, 4, true, &b), 0);
        ASSERT_STR_EQ(buf_cstr(&b), rows[i].want);
        buf_fini(&b);
    }
}

TEST_CASE(llm, template_render_errors)
{
    const struct llm_chat_msg bad[] = {{"user", "hi"}, {"robot", "beep"}};
    struct buf b;
    buf_init(&b, 1 << 16);
    ASSERT_INT_EQ(llm_template_render(LLM_TEMPLATE_CHATML, bad, 2, true, &b), ERR_INVALID);
    ASSERT_INT_EQ((long long)b.len, 0);
    buf_fini(&b);
    /* a ceiling too small leaves the buffer untouched */
    buf_init(&b, 8);
    const struct llm_chat_msg ok[] = {{"user", "hello world"}};
    ASSERT_INT_EQ(llm_template_render(LLM_TEMPLATE_CHATML, ok, 1, true, &b), ERR_TOO_LARGE);
    ASSERT_INT_EQ((long long)b.len, 0);
    buf_fini(&b);
    ASSERT_STR_EQ(llm_template_end_of_turn(LLM_TEMPLATE_LLAMA3), "<|eot_id|>");
    ASSERT_STR_EQ(llm_template_name(LLM_TEMPLATE_MISTRAL_V7), "mistral-v7");
}

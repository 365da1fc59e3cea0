/* tests/unit/ai: the AI API scheduler. */
TEST(ai, batched_jobs_match_single_sequence_greedy)
TEST(ai, long_prompt_prefilled_in_chunks)
TEST(ai, embedding_job_and_cancelled_job)

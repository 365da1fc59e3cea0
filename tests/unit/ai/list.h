/* tests/unit/ai: the AI API scheduler. */
TEST(ai, batched_jobs_match_single_sequence_greedy)
TEST(ai, embedding_job_and_cancelled_job)

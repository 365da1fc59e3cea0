TEST(db, relations_page_forms)
TEST(db, relation_counts_and_threads)
TEST(db, state_replaced)

TEST(base, buf_append_and_ceiling)
TEST(base, str_to_i64_ranges)
TEST(base, utf8_validation)
TEST(base, arena_ceiling)

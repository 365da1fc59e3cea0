TEST(config, defaults)
TEST(config, file_values_and_relative_paths)
TEST(config, errors_name_the_option)
TEST(config, written_file_reads_back)

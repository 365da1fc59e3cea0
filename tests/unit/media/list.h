TEST(media, store_content_addressed_shared_files)
TEST(media, async_upload_rules)
TEST(media, store_from_spooled_and_plain_files)

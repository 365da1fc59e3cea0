TEST(media, store_content_addressed_shared_files)
TEST(media, async_upload_rules)

TEST(http, route_match_table)
TEST(http, encoded_slash_stays_in_parameter)
TEST(http, percent_decode_query_plus)

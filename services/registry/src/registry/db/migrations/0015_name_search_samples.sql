-- Name search ranks the first SEARCH_CANDIDATES names that match (registry.db.list_queries).
-- A GIN index is read through a bitmap of every matching row before the first row is read, so
-- for a word in very many names (a product word such as 茶叶 is in one store name of thirty:
-- about 350,000 rows at 10 M stores) that bitmap, not the rows, is the query's cost, and it
-- grows with the table. These partial indexes hold the same grams for a fixed share of the
-- rows, chosen by the id's last byte (random in uuid4 and uuid7 alike): 1/16 and 1/256. A
-- search takes its candidates from the smallest share that holds enough of them, so a common
-- word reads a bitmap of its matches in 1/256 or 1/16 of the table and a rare word the whole
-- index, as before. Their predicates are written exactly as the queries write them, which is
-- how the planner knows it may use them.
CREATE INDEX enterprises_name_search_16 ON enterprises USING gin (name_search) WHERE get_byte(uuid_send(id), 15) < 16;
CREATE INDEX enterprises_name_search_256 ON enterprises USING gin (name_search) WHERE get_byte(uuid_send(id), 15) = 0;
CREATE INDEX stores_name_search_16 ON stores USING gin (name_search) WHERE get_byte(uuid_send(id), 15) < 16;
CREATE INDEX stores_name_search_256 ON stores USING gin (name_search) WHERE get_byte(uuid_send(id), 15) = 0;
CREATE INDEX parks_name_search_16 ON parks USING gin (name_search) WHERE get_byte(uuid_send(id), 15) < 16;
CREATE INDEX parks_name_search_256 ON parks USING gin (name_search) WHERE get_byte(uuid_send(id), 15) = 0;
CREATE INDEX live_teams_name_search_16 ON live_teams USING gin (name_search) WHERE get_byte(uuid_send(id), 15) < 16;
CREATE INDEX live_teams_name_search_256 ON live_teams USING gin (name_search) WHERE get_byte(uuid_send(id), 15) = 0;
CREATE INDEX brands_name_search_16 ON brands USING gin (name_search) WHERE get_byte(uuid_send(id), 15) < 16;
CREATE INDEX brands_name_search_256 ON brands USING gin (name_search) WHERE get_byte(uuid_send(id), 15) = 0;
CREATE INDEX products_name_search_16 ON products USING gin (name_search) WHERE get_byte(uuid_send(id), 15) < 16;
CREATE INDEX products_name_search_256 ON products USING gin (name_search) WHERE get_byte(uuid_send(id), 15) = 0;

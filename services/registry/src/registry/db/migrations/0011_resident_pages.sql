-- The residents list is paged in the order residents joined (joined_on, id); this index lets
-- each page start at its cursor instead of sorting the park's whole residence history.
CREATE INDEX park_residents_park_joined ON park_residents (park_id, joined_on, id);

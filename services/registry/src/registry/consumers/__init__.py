"""The registry's Kafka consumer: it keeps each entity's demonstration status."""

"""The registry's record types (enterprises, stores, parks, teams, brands, products) described
once each as an ``EntitySpec``; storage, use cases and routes are written once over the specs."""

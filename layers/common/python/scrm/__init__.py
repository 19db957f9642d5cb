"""Common layer of the WeChat SCRM: config, data access, WeChat gateway, domain rules, use cases."""

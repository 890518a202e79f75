"""Customer sync: Shopify ``customers/create|update`` -> the linked F&O ``CustomersV3`` contact fields."""

"""Back-office assistants: policy documents (ingest, index, grounded answers) and shopper support."""

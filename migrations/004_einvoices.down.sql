DROP TABLE einvoices;

"""The studio: everything between a brief and a film that is not Discord (queueing, workers, job handlers,
the brief's life). A worker machine needs this package, engine/ and storage/, never bot/ or discord."""

"""One module per independent cloud function; each is thin and calls one use case in the layer."""

import logging

# A library stays quiet until the application configures logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())

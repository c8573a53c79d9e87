"""Settings for `make bench`: Portail's own (read from the environment, as in
production) with one more URL, the floor view (bench/urls.py). Never used outside the
benchmark: the product's URLs stay as they are."""

from portail.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

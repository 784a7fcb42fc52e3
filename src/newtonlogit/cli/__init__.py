"""The ``newtonlogit`` command: parser and errors (:mod:`.main`), the
subcommands (:mod:`.commands`), Dask input (:mod:`.dask`) and the demo."""

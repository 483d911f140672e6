"""The qualitas web application: measures, data and the integrated quality report.

A Django project whose apps are named for the things people work with
(organisations, accounts, measures, board, audit, api). Only this package imports
Django; the statistics come from :mod:`qualitas.spc`.
"""

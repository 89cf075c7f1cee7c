"""The store: tables, migrations, and the queries and commands that read and change them.

The only package that holds SQL. It never imports Textual.
"""

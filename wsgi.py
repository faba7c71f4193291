from contactapi import create_app

app = create_app()

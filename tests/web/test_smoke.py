def test_healthz_answers_200(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_report_lists_the_measure(world, client_for):
    client = client_for(world["users"]["member"])
    response = client.get("/board/RAA/")
    assert response.status_code == 200
    assert "Falls per 1,000 bed days" in response.content.decode()

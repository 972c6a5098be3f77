"""Geographical pieces of the GAN POI recommenders: distances, influence, regions, neighbours, friends."""

import numpy as np
import pytest
import scipy.sparse as sp

from advrec.gan.geo import (
    check_coordinates,
    geo_influence,
    geo_neighbours,
    grid_regions,
    haversine_km,
    social_influence,
)


def test_haversine_matches_known_distances():
    # one degree of latitude is pi R / 180 = 111.195 km; a quarter meridian is pi R / 2
    d = haversine_km(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0], [90.0, 0.0], [0.0, 0.0]]))
    assert d[0].tolist() == pytest.approx([111.1951, 10007.5572, 0.0], abs=1e-3)


def test_check_coordinates_names_the_problem():
    with pytest.raises(ValueError, match=r"\[3, 2\]"):
        check_coordinates(np.zeros((2, 2)), 3)
    with pytest.raises(ValueError, match="finite"):
        check_coordinates(np.array([[np.nan, 0.0]]), 1)
    with pytest.raises(ValueError, match="latitude"):
        check_coordinates(np.array([[91.0, 0.0]]), 1)


def test_geo_influence_is_a_kernel_density_over_visited_pois():
    # POIs on the equator, 0, 1 and 2 degrees east; user 0 visited POI 0, user 1 none
    coords = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    train = sp.csr_matrix(np.array([[1, 0, 0], [0, 0, 0]]))
    h = 111.1951  # one degree in km
    g = geo_influence(train, coords, bandwidth_km=h)
    assert g[0].tolist() == pytest.approx([1.0, np.exp(-0.5), np.exp(-2.0)], rel=1e-4)
    assert g[1].tolist() == [0.0, 0.0, 0.0]


def test_grid_regions_group_nearby_pois():
    coords = np.array([[0.0, 0.0], [0.001, 0.001], [0.5, 0.5]])
    regions = grid_regions(coords, cell_km=2.0)
    assert regions[0] == regions[1] != regions[2]


def test_geo_neighbours_average_the_nearest():
    coords = np.array([[0.0, 0.0], [0.0, 0.1], [0.0, 0.3], [0.0, 5.0]])
    n = geo_neighbours(coords, k=2).toarray()
    assert n[0].tolist() == [0.0, 0.5, 0.5, 0.0]
    assert n[3].tolist() == [0.0, 0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match="k must be"):
        geo_neighbours(coords, k=4)


def test_social_influence_is_the_share_of_friends_who_visited():
    train = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]]))
    s = social_influence(train, np.array([[0, 1], [0, 2]]))
    # user 0's friends 1 and 2: POI 0 visited by 1 of 2, POI 1 by both; user 2's only friend 0 visited POI 0
    assert s[0].tolist() == [0.5, 1.0]
    assert s[2].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="friends"):
        social_influence(train, np.array([[0, 3]]))

"""The demo catalog: made-up titles a fresh install starts with.

Every name, synopsis and person here is invented. Movies run 30-120 seconds because the demo
media are short synthetic clips; episodes likewise.
"""

from __future__ import annotations

from collections.abc import Sequence

from vodstack.clients.catalog import CatalogClient
from vodstack.contracts.catalog import Episode, Season, TitleCreate, TitleKind
from vodstack.contracts.common import Maturity

KIDS, TEEN, ADULT = Maturity.KIDS, Maturity.TEEN, Maturity.ADULT


def _movie(
    name: str,
    year: int,
    maturity: Maturity,
    genres: Sequence[str],
    duration_s: int,
    cast: Sequence[str],
    synopsis: str,
) -> TitleCreate:
    return TitleCreate(
        name=name,
        kind=TitleKind.MOVIE,
        year=year,
        maturity=maturity,
        genres=list(genres),
        duration_s=duration_s,
        cast=list(cast),
        synopsis=synopsis,
    )


def _series(
    name: str,
    year: int,
    maturity: Maturity,
    genres: Sequence[str],
    cast: Sequence[str],
    synopsis: str,
    seasons: Sequence[Sequence[tuple[str, int, str]]],
) -> TitleCreate:
    """A series; `seasons` lists each season's episodes as (name, seconds, synopsis)."""
    built = [
        Season(
            number=season_number,
            episodes=[
                Episode(number=n, name=ep_name, duration_s=seconds, synopsis=ep_synopsis)
                for n, (ep_name, seconds, ep_synopsis) in enumerate(episodes, start=1)
            ],
        )
        for season_number, episodes in enumerate(seasons, start=1)
    ]
    # A series' running time is the sum of its episodes.
    total = sum(ep.duration_s for season in built for ep in season.episodes)
    return TitleCreate(
        name=name,
        kind=TitleKind.SERIES,
        year=year,
        maturity=maturity,
        genres=list(genres),
        duration_s=total,
        cast=list(cast),
        synopsis=synopsis,
        seasons=built,
    )


DEMO_TITLES: list[TitleCreate] = [
    _movie(
        "Pip and the Paper Moon",
        2019,
        KIDS,
        ["Animation", "Family"],
        45,
        ["Maisie Okonkwo", "Teodor Lindqvist", "Harriet Vale"],
        "When the moon over her village turns out to be folded from paper, a curious girl named "
        "Pip climbs the tallest chimney to mend its torn corner before the tide forgets to rise.",
    ),
    _movie(
        "The Great Puddle Expedition",
        2022,
        KIDS,
        ["Animation", "Comedy"],
        38,
        ["Benji Arrowsmith", "Lola Ferreira", "Gus Pemberton"],
        "Three rain-boot-wearing ducklings map every puddle in Willowmere Park, squabbling over "
        "names, losing a compass to a frog and discovering that the biggest puddle is a lake.",
    ),
    _series(
        "Robo Rascals",
        2021,
        KIDS,
        ["Animation", "Sci-Fi", "Comedy"],
        ["Priya Castellano", "Otto Brennan", "Wren Adebayo"],
        "Two small repair robots on a space station keep breaking things while trying to fix "
        "them, and learn something new about teamwork in every wobbly adventure.",
        [
            [
                ("The Loose Bolt", 40, "Sprocket chases a bolt that floats off into the garden."),
                ("Gravity Goes Home", 42, "The station's gravity switches off at lunchtime."),
                ("Sock Nebula", 38, "A laundry accident fills the corridors with socks."),
            ],
            [
                ("New Neighbours", 44, "A cargo pod arrives carrying a very shy robot."),
                ("The Beeping Box", 41, "Nobody can find what keeps beeping in the pantry."),
            ],
        ],
    ),
    _movie(
        "Lantern Lane Bakers",
        2018,
        KIDS,
        ["Documentary", "Family"],
        64,
        ["Narrated by Imelda Sorensen"],
        "A gentle look at a street of family bakeries that open before sunrise, following the "
        "children who learn to knead, braid and sell bread before school.",
    ),
    _movie(
        "Owlbert Counts the Stars",
        2016,
        KIDS,
        ["Animation", "Family"],
        52,
        ["Cyril Ashdown", "Noor Haddad"],
        "A sleepy owl who cannot count past ten sets out to number every star in the sky, and "
        "meets the constellations one by one along the way.",
    ),
    _movie(
        "Orbit of Quiet Things",
        2024,
        TEEN,
        ["Sci-Fi", "Drama"],
        110,
        ["Selene Marchetti", "Jonah Okafor", "Ines Valderrama", "Kit Halloran"],
        "A teenage radio operator aboard a failing research satellite picks up a signal that "
        "seems to be her own voice, recorded decades in the future.",
    ),
    _movie(
        "Static on Channel Nine",
        2003,
        TEEN,
        ["Comedy"],
        84,
        ["Dev Raman", "Corinne Aubert", "Fletcher Maddox"],
        "Two bored interns at a small-town television station accidentally broadcast their "
        "prank show live, and become the most-watched thing in the county overnight.",
    ),
    _series(
        "Tidewater Kingdoms",
        2020,
        TEEN,
        ["Documentary"],
        ["Narrated by Augustin Mbeki"],
        "A natural-history series about the creatures that rule the strip of shore between high "
        "and low tide, filmed across three continents over four years.",
        [
            [
                ("The Mudflat Empire", 58, "Fiddler crabs defend their burrows at low tide."),
                ("Rock Pool Politics", 55, "Anemones and shrimp share a shrinking world."),
                ("When the Water Returns", 61, "Everything must hide before the flood."),
            ],
        ],
    ),
    _movie(
        "Quarterback Quantum",
        1998,
        TEEN,
        ["Comedy", "Sci-Fi"],
        91,
        ["Tyler Brandvold", "Marisol Quintero", "Ambrose Fitch"],
        "A high-school kicker finds a physics-club prototype that replays the last ten seconds, "
        "and learns the hard way that a rewind cannot fix his friendships.",
    ),
    _movie(
        "Glasshouse Summer",
        2009,
        TEEN,
        ["Drama"],
        97,
        ["Elodie Brasseur", "Sam Nakashima", "Ruth Okereke"],
        "Sent to her grandmother's orchid nursery for the summer, a restless sixteen-year-old "
        "uncovers the quarrel that split her family apart a generation ago.",
    ),
    _movie(
        "Lumen Drift",
        2026,
        TEEN,
        ["Sci-Fi", "Animation"],
        76,
        ["Yara Kestrel", "Bastian Holm"],
        "On a planet where the sun never sets, a courier glides between floating cities on "
        "light-sails and stumbles onto the first shadow anyone has seen in centuries.",
    ),
    _movie(
        "The Ninth Cartographer",
        2017,
        ADULT,
        ["Thriller"],
        95,
        ["Magnus Thorvaldsen", "Adaeze Nwosu", "Lucien Barrow", "Petra Vukovic"],
        "Eight mapmakers who charted a remote archipelago have died in eight years. The ninth "
        "goes back to find what their maps were drawn to hide.",
    ),
    _series(
        "Ashfall Protocol",
        2025,
        ADULT,
        ["Sci-Fi", "Thriller"],
        ["Rhiannon Castell", "Idris Falconer", "Mei-Lin Starkweather", "Oskar Brandt"],
        "After a volcanic winter, a disgraced crisis analyst is pulled back into the agency that "
        "rations the last clear skies, and discovers the forecasts are being bought.",
        [
            [
                ("Grey Morning", 72, "A forecast leak costs a city its harvest."),
                ("Dust Ledger", 68, "Rhea follows the money behind the weather contracts."),
                ("Clearance", 75, "A sealed airfield holds the agency's oldest secret."),
            ],
            [
                ("Second Winter", 70, "The sky darkens again, exactly on schedule."),
                ("The Analyst", 74, "An old colleague offers a deal with a deadline."),
                ("Open Sky", 80, "Everything Rhea has exposed comes due at once."),
            ],
        ],
    ),
    _movie(
        "Harbor of Small Hours",
        2014,
        ADULT,
        ["Drama"],
        103,
        ["Catalina Ibarra", "Desmond Achterberg", "Hollis Grant"],
        "A night-shift dock worker and a widowed ferry pilot trade one confession for every "
        "crossing, until the last ferry of the season forces the truth about the storm.",
    ),
    _movie(
        "Velvet Ledger",
        2008,
        ADULT,
        ["Thriller", "Drama"],
        88,
        ["Anouk Delacroix", "Reuben Szabo", "Tamsin Oyelaran"],
        "A forensic accountant hired to audit a family-owned jazz club finds the books balance "
        "perfectly, which is exactly what convinces her someone is lying.",
    ),
    _movie(
        "Ninety Minutes to Vareska",
        2001,
        ADULT,
        ["Thriller"],
        90,
        ["Viktor Lindahl", "Soraya Bensaid", "Emmett Crowe"],
        "A night train, a diplomatic pouch and a conductor who is not who he claims to be: "
        "ninety minutes of real time before the border closes.",
    ),
    _movie(
        "Saltwater Sermons",
        1995,
        ADULT,
        ["Drama"],
        118,
        ["Bernadette Kilbride", "Mateus Arruda", "Conall Reyes"],
        "In a fishing town emptied by a failed season, a preacher who has lost his faith "
        "delivers his sermons from a boat to whoever still listens on the pier.",
    ),
    _series(
        "Deadpan Alley",
        2012,
        ADULT,
        ["Comedy"],
        ["Frankie Odunsi", "Greta Halvorsen", "Milo Carrasco"],
        "Three failing stand-up comics share one tiny flat above the comedy club that keeps "
        "refusing to book them, and turn every disaster into new material.",
        [
            [
                ("Open Mic", 46, "Frankie bombs so badly the club gives him a plaque."),
                ("Heckler's Veto", 44, "Greta meets her harshest critic: her landlord."),
                ("The Tight Five", 49, "Milo rehearses five minutes for five weeks."),
            ],
        ],
    ),
]


async def seed_catalog(client: CatalogClient) -> int:
    """Create the demo titles if the catalog is empty; return how many were created.

    Checking for emptiness (not for each name) makes re-runs after a restart a no-op, and
    never resurrects a demo title an admin deliberately deleted.
    """
    existing = await client.titles(Maturity.ADULT, limit=1, unpublished=True)
    if existing.total > 0:
        return 0
    for title in DEMO_TITLES:
        await client.create(title)
    return len(DEMO_TITLES)

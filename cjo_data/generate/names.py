"""Small word lists for names. Realistic enough for demos; no real people."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())

FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol "
    "Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura "
    "Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma "
    "Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel "
    "Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia "
    "Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry "
    "Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy "
    "Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger Jacqueline Terry Madison "
    "Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice Bryan "
    "Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber "
    "Alan Alice Juan Jean Elijah Denise Willie Frances Albert Danielle Wayne Marilyn Randy Natalie Mason "
    "Beverly Vincent Diana Liam Brittany Roy Theresa Bobby Kayla Caleb Alexis Bradley Doris Russell Lori"
)

LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster "
    "Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher "
    "Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno "
    "West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall "
    "Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb "
    "Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason "
    "Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren"
)

FIRM_WORDS = _words(
    "Summit Harbor Granite Beacon Pinnacle Cedar Meridian Liberty Keystone Northstar Crescent Heritage "
    "Sterling Evergreen Bridgeway Lakeside Ridgeview Oakmont Silverline Horizon Compass Anchor Bluewater "
    "Redwood Stonegate Fairview Westbrook Eastgate Highland Riverbend Clearwater Ironwood Maple Falcon "
    "Trident Vanguardia Apex Cornerstone Legacy Patriot Lighthouse Benchmark Mosaic Prairie Sequoia"
)

FIRM_SUFFIX = {
    "wirehouse": ("Securities", "Capital Markets", "Wealth Management"),
    "ria": ("Advisors", "Wealth Partners", "Capital Advisors", "Financial Planning"),
    "independent_bd": ("Financial Network", "Investment Services", "Securities Group"),
    "bank": ("Bank Private Wealth", "Trust Company", "Bank & Trust"),
}

TITLES_NEW = ("Financial Advisor", "Associate Advisor", "Financial Planner", "Wealth Associate")
TITLES_SEASONED = ("Senior Financial Advisor", "Managing Director", "Senior Vice President",
                   "Private Wealth Advisor", "Partner", "Financial Advisor")

STATES = ("CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI", "NJ", "VA", "WA", "AZ", "MA",
          "TN", "IN", "MO", "MD", "WI", "CO", "MN", "SC", "AL", "LA", "KY", "OR", "OK", "CT", "UT")
REGIONS = ("West", "Southwest", "Central", "Midwest", "Southeast", "Mid-Atlantic", "Northeast")

PAGES = ("/", "/funds", "/funds/equity-income", "/funds/core-bond", "/funds/global-allocation",
         "/funds/real-assets", "/insights", "/insights/market-outlook", "/insights/retirement",
         "/tools/portfolio-analyzer", "/webinars", "/pricing-and-performance", "/contact", "/login",
         "/resources/whitepaper", "/etf", "/sma")
